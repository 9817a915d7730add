"""Celery for the distributed mode: ``celery -A workers.celery_app worker`` and ``... beat``.

Beat sends ``dispatch_due_timers`` every ``ONESTOP_SCHEDULER_POLL_SECONDS`` (0.5 s by
default): one indexed range query for the cases whose timer is due, and one ``fire_case`` task
per case. Any number of workers may run ``fire_case``; exactly one firing per timer comes from
the engine, not from Celery: ``FireDueTimers`` locks the case row and checks its version, so a
second worker handed the same case (a duplicate message, a redelivery) finds nothing due.

A worker that dies in the middle of a firing leaves no trace (its transaction is rolled back)
and, with late acknowledgement, its message goes back to the queue; besides, the case is still
due, so the next dispatch sends it again once the short "already sent" marker has expired.
Beat itself keeps no state that matters: run exactly one beat; if it was down, timers that fell
due meanwhile are simply due at its next tick.

Service jobs (agency calls of waiting service tasks) go the same way: beat's
``dispatch_service_jobs`` sends one ``run_service_job`` per due job. The job row, not Celery,
decides who calls: a worker claims it with a lease in the database, so a duplicate message finds
nothing to do, and a worker killed mid-call leaves the lease to expire and the job to be
dispatched again. Retries are re-scheduled jobs (``next_attempt_at``), never Celery retries.
Each worker process keeps its own circuit breakers (see workflows/agencies/breaker.py).

Beat also sends ``anchor_days`` every ``ONESTOP_ANCHOR_EVERY_SECONDS`` (600 by default): it
signs the days that are over and not anchored yet (one anchor per day, whoever runs it) and
retries missing timestamps; without a signing key it does nothing.
"""

from __future__ import annotations

import logging
import os
import time

import redis
from celery import Celery
from celery.signals import worker_process_init

import bootstrap
from bootstrap import HEARTBEAT_KEY  # every process's health check reads beat's heartbeat there
from config import load_settings
from config.audit import load_audit_settings
from engine.background import TimerRunner

log = logging.getLogger("onestop.workers")
settings = load_settings()

app = Celery("onestop", broker=settings.broker_url, backend=settings.broker_url)
app.conf.update(
    task_acks_late=True,  # a message is acknowledged when its task finished, not when received
    task_reject_on_worker_lost=True,  # a worker killed mid-task puts its message back
    worker_prefetch_multiplier=1,
    broker_transport_options={"visibility_timeout": int(os.environ.get("ONESTOP_VISIBILITY_TIMEOUT", "300"))},
    broker_connection_retry_on_startup=True,
    task_serializer="json",
    accept_content=["json"],
    result_expires=3600,
    timezone="UTC",
    beat_schedule={
        "dispatch-due-timers": {"task": "onestop.dispatch_due_timers", "schedule": settings.scheduler_poll_seconds},
        "deliver-notifications": {"task": "onestop.deliver_notifications", "schedule": 5.0},
        "dispatch-service-jobs": {"task": "onestop.dispatch_service_jobs", "schedule": settings.scheduler_poll_seconds},
        **(
            {"anchor-days": {"task": "onestop.anchor_days", "schedule": load_audit_settings().anchor_every_seconds}}
            if load_audit_settings().anchor_every_seconds
            else {}
        ),
    },
)

DISPATCHED_KEY = "onestop:dispatched:{}"
DISPATCH_MARK_SECONDS = 30
DISPATCH_LIMIT = 5000

_engine = None
_outbox = None


def engine():
    """This worker process's case engine (built after the fork, once)."""
    global _engine
    if _engine is None:
        _engine = bootstrap.build_engine(settings)
    return _engine


def outbox():
    global _outbox
    if _outbox is None:
        _outbox = bootstrap.build_outbox(settings, engine())
    return _outbox


@worker_process_init.connect
def _fresh_engine(**_kwargs) -> None:
    global _engine, _outbox  # never share a parent's database connections across a fork
    _engine = _outbox = None


def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.broker_url)


@app.task(name="onestop.dispatch_due_timers", ignore_result=True)
def dispatch_due_timers() -> int:
    """Send one fire_case per due case (not again while one is on its way)."""

    client = _redis()
    sent = 0
    for case_id in TimerRunner(engine()).due(DISPATCH_LIMIT):
        if client.set(DISPATCHED_KEY.format(case_id), "1", nx=True, ex=DISPATCH_MARK_SECONDS):
            fire_case.delay(case_id)
            sent += 1
    client.set(HEARTBEAT_KEY, str(time.time()))
    return sent


@app.task(name="onestop.fire_case")
def fire_case(case_id: str) -> bool:
    """Fire the case's due timers; True if this task did (False: nothing due, or lost a race)."""

    try:
        fired = TimerRunner(engine(), actor="scheduler").fire(case_id)
    finally:
        _redis().delete(DISPATCHED_KEY.format(case_id))
    if fired:
        deliver_notifications.delay()
    return fired


@app.task(name="onestop.deliver_notifications", ignore_result=True)
def deliver_notifications() -> dict:
    return outbox().deliver_due(200)


SERVICE_DISPATCHED_KEY = "onestop:service-job:{}"


@app.task(name="onestop.dispatch_service_jobs", ignore_result=True)
def dispatch_service_jobs() -> int:
    """Send one run_service_job per due service job (not again while one is on its way)."""
    client = _redis()
    sent = 0
    for job_id in engine().service_jobs.due(DISPATCH_LIMIT):
        if client.set(SERVICE_DISPATCHED_KEY.format(job_id), "1", nx=True, ex=DISPATCH_MARK_SECONDS):
            run_service_job.delay(job_id)
            sent += 1
    return sent


@app.task(name="onestop.run_service_job")
def run_service_job(job_id: int) -> str:
    """One attempt at the job's agency call: 'answered', 'failed', 'retry' or 'skipped'."""
    try:
        return engine().service_jobs.run(job_id)
    finally:
        _redis().delete(SERVICE_DISPATCHED_KEY.format(job_id))


@app.task(name="onestop.anchor_days", ignore_result=True)
def anchor_days() -> list[str]:
    """Anchor the days that are over and not anchored yet; the days anchored (or stamped again)."""
    job = bootstrap.anchor_job(settings, engine(), actor="beat")
    if job is None:
        return []
    return [item["day"] for item in job.run()]
