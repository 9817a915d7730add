"""Celery for the distributed mode: ``celery -A workers.celery_app worker -Q timers`` (timers),
``... worker -Q agencies`` (agency calls), ``... worker -Q outbox`` (notifications and the daily
anchor) and ``... beat``.

Three queues, each served by workers of its own (their own processes and concurrency), so that
work waiting on one outside service never delays another: ``timers`` carries
``dispatch_due_timers`` and ``fire_cases``; ``agencies`` carries ``dispatch_service_jobs`` and
``run_service_job`` (each call holds its worker up to the agency's timeout); ``outbox`` carries
``deliver_notifications`` and ``anchor_days`` (the mail relay, the SMS provider, the timestamp
authority). A worker started without ``-Q`` consumes all three (one process does all).

Beat sends ``dispatch_due_timers`` every ``ONESTOP_SCHEDULER_POLL_SECONDS`` (0.5 s by
default): one indexed range query for the cases whose timer is due, and one ``fire_cases`` task
per ten of them. Any number of workers may run ``fire_cases``; exactly one firing per timer comes from
the engine, not from Celery: ``FireDueTimers`` locks the case row and checks its version, so a
second worker handed the same case (a duplicate message, a redelivery) finds nothing due.

A worker that dies in the middle of a firing leaves no trace (its transaction is rolled back)
and, with late acknowledgement, its message goes back to the queue; besides, the case is still
due, so the next dispatch sends it again once the short "already sent" marker has expired.
Beat itself keeps no state that matters, and its loss is harmless: run two (on two machines),
one sends while holding a lease in the database and the other takes over when it dies
(workers/beat.py); timers that fell due meanwhile are simply due at the next tick.

Service jobs (agency calls of waiting service tasks) go the same way: beat's
``dispatch_service_jobs`` sends one ``run_service_job`` per due job. The job row, not Celery,
decides who calls: a worker claims it with a lease in the database, so a duplicate message finds
nothing to do, and a worker killed mid-call leaves the lease to expire and the job to be
dispatched again. Retries are re-scheduled jobs (``next_attempt_at``), never Celery retries.
Each worker process keeps its own circuit breakers (see workflows/agencies/breaker.py) and
reports them in its heartbeat (engine.storage.heartbeats), which /api/health reads.

Beat also sends ``anchor_days`` every ``ONESTOP_ANCHOR_EVERY_SECONDS`` (600 by default): it
signs the days that are over and not anchored yet (one anchor per day, whoever runs it) and
retries missing timestamps; without a signing key it does nothing.

Every task is a per-case boundary: whatever one case raises (``BaseException`` included) is
logged, masked, and the case gets an incident or waits; the worker goes on with the others. A
database that cannot be used now sets a backoff in Redis that the dispatchers respect, so the
workers do not spin on it.
"""

from __future__ import annotations

import logging
import os
from functools import partial

import redis
from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, worker_process_init, worker_ready
from kombu import Queue

import bootstrap
from config import load_settings
from config.audit import load_audit_settings
from engine import real_interrupt
from engine.background import TimerRunner, beat_scheduler, delay_after
from engine.storage import storage_unavailable

log = logging.getLogger("onestop.workers")
settings = load_settings()

TIMERS_QUEUE, AGENCIES_QUEUE, OUTBOX_QUEUE = "timers", "agencies", "outbox"
QUEUES = (TIMERS_QUEUE, AGENCIES_QUEUE, OUTBOX_QUEUE)
# Where each task goes; a worker started without -Q consumes every queue (one process does all).
ROUTING = {
    "task_queues": tuple(Queue(name) for name in QUEUES),
    "task_default_queue": OUTBOX_QUEUE,
    "task_routes": {
        "onestop.dispatch_due_timers": {"queue": TIMERS_QUEUE},
        "onestop.fire_case": {"queue": TIMERS_QUEUE},
        "onestop.fire_cases": {"queue": TIMERS_QUEUE},
        "onestop.dispatch_service_jobs": {"queue": AGENCIES_QUEUE},
        "onestop.run_service_job": {"queue": AGENCIES_QUEUE},
        "onestop.deliver_notifications": {"queue": OUTBOX_QUEUE},
        "onestop.anchor_days": {"queue": OUTBOX_QUEUE},
    },
}
app = Celery("onestop", broker=settings.broker_url, backend=settings.broker_url)
app.conf.update(
    **ROUTING,
    task_acks_late=True,  # a message is acknowledged when its task finished, not when received
    task_reject_on_worker_lost=True,  # a worker killed mid-task puts its message back
    worker_prefetch_multiplier=1,
    broker_transport_options={"visibility_timeout": int(os.environ.get("ONESTOP_VISIBILITY_TIMEOUT", "300"))},
    broker_connection_retry_on_startup=True,
    task_serializer="json",
    accept_content=["json"],
    result_expires=3600,
    timezone="UTC",
    # Beat under a lease in the database: a standby beat takes over when the active one dies.
    beat_scheduler="workers.beat:LeasedScheduler",
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
SERVICE_DISPATCHED_KEY = "onestop:service-job:{}"
DISPATCH_MARK_SECONDS = 30
FIRE_BATCH = 10
FAILED_MARK_SECONDS = 60
DISPATCH_LIMIT = 5000
# While set, the database failed lately: the dispatchers send nothing (the key expires by itself).
BACKOFF_KEY = "onestop:storage-backoff"
BACKOFF_FAILURES_KEY = "onestop:storage-failures"

_engine = None
_outbox = None


def engine():
    """This worker process's case engine (built after the fork, once)."""
    global _engine
    if _engine is None:
        _engine = bootstrap.build_engine(settings, role=_role())
    return _engine


def outbox():
    global _outbox
    if _outbox is None:
        _outbox = bootstrap.build_outbox(settings, engine())
    return _outbox


def _role() -> str:
    """How this worker is named in the shared health record: by the queues it consumes."""
    queues = sorted(app.amqp.queues.consume_from or app.amqp.queues) or list(QUEUES)
    return "celery-worker:" + ",".join(queues)


@worker_process_init.connect
def _fresh_engine(**_kwargs) -> None:
    global _engine, _outbox  # never share a parent's database connections across a fork
    _engine = _outbox = None
    _start_process()


@worker_ready.connect
def _worker_ready(**_kwargs) -> None:
    _start_process()  # the main process (which runs the tasks itself with --pool=solo)


def _start_process() -> None:
    bootstrap.cap_memory(settings)
    bootstrap.mask_crash_paths()
    engine().components["heartbeat"].start()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _masked_logs(logger=None, **_kwargs) -> None:
    bootstrap.mask_logs(logger)


def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.broker_url)


def _backing_off(client: redis.Redis) -> bool:
    return bool(client.exists(BACKOFF_KEY))


def _storage_failed(client: redis.Redis, error: BaseException | None = None) -> None:
    """Every dispatcher waits, longer after each failure in a row (reset by a success)."""
    if error is not None:
        engine().storage_health.failed(error)
    failures = client.incr(BACKOFF_FAILURES_KEY)
    client.expire(BACKOFF_FAILURES_KEY, 600)
    delay = delay_after(failures, first=0.5, maximum=30.0)
    client.set(BACKOFF_KEY, "1", px=int(delay * 1000))
    log.warning("the database cannot be used now; dispatching waits %.1f s", delay)


def _guarded(what: str, work, client: redis.Redis | None = None):
    """Run one task's work as a per-case boundary: never raises but a real interrupt."""
    try:
        result = work()
    except BaseException as error:  # noqa: BLE001 - sorted below, never swallowed silently
        if real_interrupt(error):
            raise
        if storage_unavailable(error):
            _storage_failed(client or _redis(), error)
        else:
            log.error("%s failed", what, exc_info=error)
        return None
    if client is not None and client.exists(BACKOFF_FAILURES_KEY):
        client.delete(BACKOFF_FAILURES_KEY)
    return result


@app.task(name="onestop.dispatch_due_timers", ignore_result=True)
def dispatch_due_timers() -> int:
    """Send one fire_case per due case (not again while one is on its way)."""
    client = _redis()
    if _backing_off(client):
        return 0

    def dispatch() -> int:
        due = TimerRunner(engine()).due(DISPATCH_LIMIT)
        marking = client.pipeline(transaction=False)
        for case_id in due:
            marking.set(DISPATCHED_KEY.format(case_id), "1", nx=True, ex=DISPATCH_MARK_SECONDS)
        fresh = [case_id for case_id, marked in zip(due, marking.execute()) if marked]
        # In batches: a Celery message costs more than firing a timer, so one per case would
        # make the queue, not the database, the limit when many fall due at once.
        for first in range(0, len(fresh), FIRE_BATCH):
            fire_cases.delay(fresh[first : first + FIRE_BATCH])
        beat_scheduler(engine(), "celery", {"dispatched": len(fresh)})
        return len(fresh)

    return _guarded("dispatching due timers", dispatch, client) or 0


# A timer task stuck in one C call of a script (which the sandbox cannot interrupt) is killed by
# Celery after this long and its worker process replaced; the case's firing mark then turns
# into an "interrupted" incident at its next pickup (engine.storage.incidents.FiringAttempt).
TIMER_TASK_TIME_LIMIT = 120


@app.task(name="onestop.fire_case", time_limit=TIMER_TASK_TIME_LIMIT)
def fire_case(case_id: str) -> bool:
    """Fire the case's due timers; True if this task did (False: nothing due, lost a race, or
    the case failed: it has an incident now)."""
    return fire_cases([case_id]) == 1


@app.task(name="onestop.fire_cases", time_limit=TIMER_TASK_TIME_LIMIT)
def fire_cases(case_ids: list[str]) -> int:
    """Fire the due timers of each case, one after the other (each its own command: one that
    fails gets its incident and the others go on); how many this task fired."""
    client = _redis()
    runner = TimerRunner(engine(), actor="scheduler")
    fired = 0
    for case_id in case_ids:
        outcome = None
        try:
            outcome = _guarded(f"firing case {case_id}", partial(runner.fire, case_id), client)
        finally:
            _release(client, DISPATCHED_KEY.format(case_id), failed=outcome is None)
        fired += bool(outcome)
    if fired:
        deliver_notifications.delay()
    return fired


def _release(client: redis.Redis, marker: str, *, failed: bool) -> None:
    """Let the next dispatch send the case or job again: at once, or after FAILED_MARK_SECONDS
    when this attempt failed without an incident to hold it (so it is not sent in a loop)."""
    if failed:
        client.set(marker, "1", ex=FAILED_MARK_SECONDS)
    else:
        client.delete(marker)


@app.task(name="onestop.deliver_notifications", ignore_result=True)
def deliver_notifications() -> dict:
    return _guarded("delivering the outbox", lambda: outbox().deliver_due(200)) or {}


@app.task(name="onestop.dispatch_service_jobs", ignore_result=True)
def dispatch_service_jobs() -> int:
    """Send one run_service_job per due service job (not again while one is on its way)."""
    client = _redis()
    if _backing_off(client):
        return 0

    def dispatch() -> int:
        sent = 0
        for job_id in engine().service_jobs.due(DISPATCH_LIMIT):
            if client.set(SERVICE_DISPATCHED_KEY.format(job_id), "1", nx=True, ex=DISPATCH_MARK_SECONDS):
                run_service_job.delay(job_id)
                sent += 1
        return sent

    return _guarded("dispatching service jobs", dispatch, client) or 0


@app.task(name="onestop.run_service_job")
def run_service_job(job_id: int) -> str:
    """One attempt at the job's agency call: 'answered', 'failed', 'retry', 'skipped' or 'error'."""
    client = _redis()
    outcome = "error"
    try:
        outcome = engine().service_jobs.run_guarded(job_id)
        if outcome == "error" and engine().storage_health.failing:
            _storage_failed(client)
        return outcome
    finally:
        _release(client, SERVICE_DISPATCHED_KEY.format(job_id), failed=outcome == "error")


@app.task(name="onestop.anchor_days", ignore_result=True)
def anchor_days() -> list[str]:
    """Anchor the days that are over and not anchored yet; the days anchored (or stamped again)."""
    job = bootstrap.anchor_job(settings, engine(), actor="beat")
    if job is None:
        return []
    return [item["day"] for item in job.run()]
