"""Work outside requests: firing due timers (``scheduler``), performing waiting service tasks'
agency calls (``service_runner``), delivering queued notices (``outbox``) and periodic jobs
such as the daily anchor. Each runs embedded in the server process or as Celery tasks, through
the same engine commands."""

from engine.background.backoff import Backoff, StorageHealth, delay_after
from engine.background.heartbeat import HeartbeatWriter, beat_scheduler, processes, scheduler_health, workers_health
from engine.background.leases import (
    BEAT_LEASE,
    SCHEDULER_LEASE,
    DocumentStoreNotShared,
    LeaseHolder,
    check_shared_document_store,
    lease_holder,
)
from engine.background.outbox import DevelopmentAdapter, Outbox, SmsAdapter, SmtpAdapter
from engine.background.scheduler import EmbeddedScheduler, PeriodicJob, TimerRunner, due_case_ids, next_due_at
from engine.background.service_runner import ServiceJobRunner

__all__ = [
    "BEAT_LEASE",
    "SCHEDULER_LEASE",
    "Backoff",
    "HeartbeatWriter",
    "StorageHealth",
    "beat_scheduler",
    "delay_after",
    "processes",
    "scheduler_health",
    "workers_health",
    "DevelopmentAdapter",
    "DocumentStoreNotShared",
    "EmbeddedScheduler",
    "LeaseHolder",
    "Outbox",
    "PeriodicJob",
    "ServiceJobRunner",
    "SmsAdapter",
    "SmtpAdapter",
    "TimerRunner",
    "check_shared_document_store",
    "due_case_ids",
    "lease_holder",
    "next_due_at",
]
