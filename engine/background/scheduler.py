"""Firing due timers: finding the cases that are due, and the embedded scheduler thread.

After every command the case's earliest timer is stored in ``cases.next_timer_at`` (indexed),
so finding due work is a range scan of that index: its cost follows the number of cases that
are due, not the number waiting. Firing goes through the ``FireDueTimers`` command, which locks
the case and checks its version: any number of schedulers or workers may race on one case, one
fires it and the others find nothing due. Nothing is held in memory that a restart would lose:
timers that fell due while no scheduler ran are simply due at the next pass.

``EmbeddedScheduler`` runs in the server process (the default, nothing else to run). It sleeps
until the earliest timer is due (at most ``poll_seconds``, so timers created by other processes
are seen), wakes early when a command in this process may have created a sooner one, and also
delivers the outbox. With several server processes (on one machine or several), one holds the
scheduler's lease in the database and schedules; the others stand by and take over when it stops
renewing it (engine.background.leases). ``workers/`` runs the same ``TimerRunner`` under
Celery instead.

The embedded scheduler also hands due service jobs (agency calls of waiting service tasks) to
a small pool of its own threads, so that a slow agency never delays a timer, and runs the
periodic jobs the composition root gives it (``PeriodicJob``: the daily anchor of the event
log's signed roots), each at most once per its interval by the engine's clock, in the leading
process only; a failing job is logged and reported by the health check, and never stops a pass.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import Connection, bindparam, func, select

from engine import commands as cmd
from engine.background.backoff import Backoff
from engine.background.heartbeat import beat_scheduler
from engine.background.leases import DEFAULT_LEASE_SECONDS, SCHEDULER_LEASE, LeaseHolder, NoLease
from engine.errors import Conflict, EngineError, NotFound, real_interrupt
from engine.storage import jobs
from engine.storage.db import read_only, storage_unavailable
from engine.storage.models import Case

log = logging.getLogger("onestop.scheduler")
CASES = Case.__table__

# Strictly past due, as SpiffWorkflow fires timers (and FireDueTimers checks).
_DUE = (
    select(CASES.c.id)
    .where(CASES.c.next_timer_at < bindparam("now"))
    .order_by(CASES.c.next_timer_at)
    .limit(bindparam("limit"))
)
_NEXT_DUE = select(func.min(CASES.c.next_timer_at))


def due_case_ids(conn: Connection, now: datetime, limit: int) -> list[str]:
    return list(conn.execute(_DUE, {"now": now, "limit": limit}).scalars())


def next_due_at(conn: Connection) -> datetime | None:
    value = conn.execute(_NEXT_DUE).scalar()
    if value is not None and value.tzinfo is None:  # SQLite's aggregate skips the column type
        from datetime import timezone

        value = value.replace(tzinfo=timezone.utc)
    return value


class TimerRunner:
    """Fires due cases through engine commands. A case whose firing fails gets an incident that
    holds its timers (engine.cases.incidents), so it is not due again; one whose incident could
    not even be recorded waits here, longer after each failure, instead of being tried at every
    pass. A database that cannot be used now is raised for the loop to back off."""

    def __init__(self, engine, *, actor: str = "scheduler") -> None:
        self.engine = engine
        self.actor = actor
        self.backoff = Backoff(first=2.0, maximum=300.0)

    def due(self, limit: int) -> list[str]:
        now = self.engine.clock.now()
        with read_only(self.engine.db).connect() as conn:
            ids = due_case_ids(conn, now, limit + len(self.backoff))
        return [case_id for case_id in ids if not self.backoff.waiting(case_id)][:limit]

    def fire(self, case_id: str) -> bool:
        """True if this call fired the case's timers."""
        try:
            fired = self.engine.handle(cmd.FireDueTimers(case_id, actor=self.actor)) is not None
        except (Conflict, NotFound):
            return False  # another command or worker got there first, or the case closed
        except EngineError as error:
            incident = error.details.get("incident_id")
            if incident is not None:
                log.warning("case %s: incident %s holds its timers: %s", case_id, incident, error.message)
            else:
                delay = self.backoff.failed(case_id)
                log.error("case %s: firing its timer failed (%s); next try in %.0f s", case_id, error.message, delay)
            return False
        except BaseException as error:  # noqa: BLE001 - sorted below, never swallowed silently
            if storage_unavailable(error) or real_interrupt(error):
                raise
            delay = self.backoff.failed(case_id)
            log.error(
                "case %s: firing its timer failed and no incident could be recorded; next try in %.0f s",
                case_id,
                delay,
                exc_info=error,
            )
            return False
        self.backoff.succeeded(case_id)
        return fired

    def fire_due(self, batch: int = 200, pool: ThreadPoolExecutor | None = None) -> int:
        """Fire every due case, in ``pool``'s threads if given (on PostgreSQL a firing mostly
        waits for the database, so a few threads fire several times more per second)."""
        fired = 0
        while True:
            ids = self.due(batch)
            if pool is None:
                fired += sum(self.fire(case_id) for case_id in ids)
            else:
                fired += sum(pool.map(self.fire, ids))
            if len(ids) < batch:
                return fired


@dataclass
class PeriodicJob:
    """Work the scheduler runs every ``every`` (by the engine's clock); ``run`` must be safe to
    run again and from several processes at once (the leader lease is not a guarantee across a
    failover)."""

    name: str
    every: timedelta
    run: Callable[[], Any]
    next_at: datetime | None = None  # None: at the next pass
    last_result: Any = None
    last_error: str | None = None

    def claim(self, now: datetime) -> bool:
        """True (and the next run set an interval later) if the job is due at ``now``."""
        if self.next_at is not None and now < self.next_at:
            return False
        self.next_at = now + self.every
        return True

    def run_now(self) -> None:
        try:
            self.last_result, self.last_error = self.run(), None
        except Exception as error:  # the timers go on; the next interval tries again
            self.last_error = f"{type(error).__name__}: {error}"
            log.exception("periodic job %s failed", self.name)

    def health(self) -> dict[str, Any]:
        return {"next_at": self.next_at.isoformat() if self.next_at else None, "last_error": self.last_error}


class EmbeddedScheduler:
    MAX_PASS_BACKOFF = 30.0
    HEARTBEAT_SECONDS = 2.0

    def __init__(
        self,
        engine,
        outbox=None,
        *,
        poll_seconds: float = 0.5,
        batch: int = 200,
        lease_seconds: float | None = DEFAULT_LEASE_SECONDS,
        threads: int | None = None,
        service_threads: int = 4,
        periodic: list[PeriodicJob] | None = None,
        heartbeat=None,
    ) -> None:
        self.engine = engine
        self.periodic = list(periodic or [])
        self.outbox = outbox
        self.runner = TimerRunner(engine)
        self.poll_seconds = poll_seconds
        self.batch = batch
        # SQLite takes one writer at a time (more threads only queue on its lock); a server
        # database serves several commands at once.
        if threads is None:
            threads = 1 if engine.db.dialect.name == "sqlite" else 4
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="onestop-fire") if threads > 1 else None
        # Agency calls mostly wait on the network: threads, whatever the database.
        self._service_pool = ThreadPoolExecutor(service_threads, thread_name_prefix="onestop-service")
        # Periodic jobs in a thread of their own: a timestamp authority that does not answer
        # must not hold the timers back. One at a time, in order.
        self._periodic_pool = ThreadPoolExecutor(1, thread_name_prefix="onestop-periodic")
        self.periodic_runs: list = []  # futures of the periodic runs started, newest last
        # One scheduling process among all the server processes of every node: a lease in the
        # database (a lock file would elect one per machine). None: this scheduler is alone.
        self._lock = (
            NoLease() if lease_seconds is None else LeaseHolder(engine.db, SCHEDULER_LEASE, seconds=lease_seconds)
        )
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_pass_at: float | None = None  # monotonic
        # When (time.monotonic) the loop's sleep ends; None while it works or does not lead.
        self._sleeping_until: float | None = None
        self.last_error: str | None = None
        self.heartbeat = heartbeat  # this process's HeartbeatWriter: beats while the scheduler runs
        self._failed_passes = 0
        self._last_beat: float | None = None
        self.leader = False
        self.fired = 0

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> EmbeddedScheduler:
        if self._thread is None:
            self.engine.command_listeners.append(self._on_command)
            self._thread = threading.Thread(target=self._loop, name="onestop-scheduler", daemon=True)
            self._thread.start()
            if self.heartbeat is not None:
                self.heartbeat.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self.heartbeat is not None:
            self.heartbeat.stop(timeout)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
            if self.leader:  # others see at once that nobody schedules here any more
                try:
                    self._beat(stopped=True)
                except Exception as error:  # noqa: BLE001 - stopping goes on; the row goes stale instead
                    log.warning("could not record that the scheduler stopped: %s", type(error).__name__)
        if self._on_command in self.engine.command_listeners:
            self.engine.command_listeners.remove(self._on_command)
        self._lock.release()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self._service_pool.shutdown(wait=True, cancel_futures=True)  # calls end within their timeout
        self._periodic_pool.shutdown(wait=True, cancel_futures=True)

    def notify(self) -> None:
        """Look again now (a command may have created a timer sooner than the one awaited)."""
        self._wake.set()

    def _on_command(self, command: Any, result: Any) -> None:
        """Wake up only if the command gave a case a timer (or an agency call) due before the
        moment the loop sleeps until. Commands say so in their result (``wake_at``): asking
        the database after every command cost more CPU than the command itself."""
        wake_at = getattr(result, "wake_at", None)
        if wake_at is None or not self.leader or isinstance(command, cmd.FireDueTimers):
            return  # a follower polls; the leader's own passes find what other processes did
        # Compared on the monotonic clock: the engine's clock may be set by hand (tests, replay).
        due_in = (wake_at - self.engine.clock.now()).total_seconds()
        sleeping_until = self._sleeping_until
        if sleeping_until is None or time.monotonic() + due_in < sleeping_until:
            self._wake.set()

    # ------------------------------------------------------------------ work
    def run_once(self) -> dict[str, Any]:
        """One pass: start due service jobs, fire every due case, deliver due messages."""
        started = self.engine.service_jobs.submit_due(self._service_pool, self.batch)
        fired = self.runner.fire_due(self.batch, self._pool)
        delivered = self.outbox.deliver_due() if self.outbox is not None else {}
        self.fired += fired
        now = self.engine.clock.now()
        periodic = [job for job in self.periodic if job.claim(now)]
        self.periodic_runs = [run for run in self.periodic_runs if not run.done()]
        self.periodic_runs += [self._periodic_pool.submit(job.run_now) for job in periodic]
        periodic = [job.name for job in periodic]
        return {"fired": fired, "delivered": delivered, "service_jobs_started": started, "periodic": periodic}

    def seconds_until_next(self) -> float:
        with read_only(self.engine.db).connect() as conn:
            dues = [next_due_at(conn), jobs.next_due_at(conn)]
        due = min((when for when in dues if when is not None), default=None)
        if due is None:
            return self.poll_seconds
        return max(0.0, min(self.poll_seconds, (due - self.engine.clock.now()).total_seconds()))

    def _loop(self) -> None:
        while not self._stop.is_set():
            delay = self.poll_seconds
            self._sleeping_until = None  # during a pass, any command's timer may be the soonest
            # Cleared whether or not this process leads: a follower that kept the event set
            # would spin on the lock instead of sleeping.
            self._wake.clear()
            try:
                delay = self._pass()
            except BaseException as error:  # noqa: BLE001 - the loop outlives any failure; each is logged
                delay = self._failed_pass(error)
            self._wake.wait(delay)

    def _pass(self) -> float:
        """One turn of the loop: lead if possible, work, and say how long to sleep."""
        self.leader = self._lock.acquire()
        if not self.leader:
            return self.poll_seconds
        waiting = self.engine.storage_health.backoff_seconds()
        if waiting > 0:
            return waiting  # the database failed lately: do not hammer it
        done = self.run_once()
        self.last_pass_at, self.last_error, self._failed_passes = time.monotonic(), None, 0
        self._beat()
        delay = self.seconds_until_next()
        if (
            delay == 0
            and not any(done[key] for key in ("fired", "service_jobs_started"))
            and not any(done["delivered"].values())
        ):
            # Something is due but nothing could be done (it backs off, or another process has it):
            # one pass per poll interval, not one after the other.
            delay = self.poll_seconds
        delay = min(delay, self._lock.renew_in())  # back before the lease runs out, however long the poll
        self._sleeping_until = time.monotonic() + delay
        return delay

    def _beat(self, **details: Any) -> None:
        """The scheduler's row in the shared record, at most every HEARTBEAT_SECONDS."""
        moment = time.monotonic()
        if details or self._last_beat is None or moment - self._last_beat >= self.HEARTBEAT_SECONDS:
            beat_scheduler(self.engine, "embedded", {"poll_seconds": self.poll_seconds, **details})
            self._last_beat = moment

    def _failed_pass(self, error: BaseException) -> float:
        self._failed_passes += 1
        self.last_error = f"{type(error).__name__}: {error}"[:300]
        if storage_unavailable(error):
            self.engine.storage_health.failed(error)
            if self._failed_passes == 1:  # once per outage, not at every pass
                log.warning("scheduler pass failed: the database cannot be used now (%s)", self.last_error)
            return max(self.poll_seconds, self.engine.storage_health.backoff_seconds())
        log.error("scheduler pass failed", exc_info=error)
        try:
            self._beat(last_error=self.last_error)
        except Exception:  # noqa: BLE001 - the row then goes stale, which health reports too
            pass
        return min(self.MAX_PASS_BACKOFF, self.poll_seconds * 2**self._failed_passes)

    def health(self) -> dict[str, Any]:
        alive = self._thread is not None and self._thread.is_alive()
        if not alive:
            return {"status": "down", "mode": "embedded", "error": "the scheduler thread is not running"}
        if not self.leader:
            return {"status": "ok", "mode": "embedded", "role": "standby"}
        age = time.monotonic() - self.last_pass_at if self.last_pass_at is not None else None
        stale = age is None or age > max(10.0, 10 * self.poll_seconds)
        status = "down" if stale and self.last_error else "ok"
        return {
            "status": status,
            "mode": "embedded",
            "role": "leader",
            "seconds_since_pass": age,
            "last_error": self.last_error,
            **({"periodic": {job.name: job.health() for job in self.periodic}} if self.periodic else {}),
        }
