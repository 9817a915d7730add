"""Celery beat that any number may run: one sends, the others stand by.

``celery -A workers.celery_app beat`` uses ``LeasedScheduler`` (the app's ``beat_scheduler``). At
each tick it holds or renews the ``celery-beat`` lease in the database
(engine.background.leases); without it, it sends nothing and asks again a third of a lease
later. So a second beat on another machine is a standby: when the active one dies (its machine
goes down, it is SIGKILLed), its lease runs out and the standby sends the next ticks. A clean stop
releases the lease at once.

Beat's ticks only say "look for due work now": the due times are in the database, so a gap of a
lease period delays timers by that much and loses none, and the rare tick sent twice (a paused
holder resuming just as its lease ran out) is harmless, because firing is exactly-once by the
engine (FireDueTimers locks the case and checks its version) and dispatching is marked in Redis.
The schedule is kept in memory: beat writes no schedule file.

Each beat writes its heartbeat (role ``celery-beat``) into the shared record, so /api/health
lists the live beats; its scheduler check names the lease's holder.
"""

from __future__ import annotations

import logging

from celery.beat import Scheduler

from engine.background import BEAT_LEASE, LeaseHolder

log = logging.getLogger("onestop.beat")
BEAT_ROLE = "celery-beat"


class LeasedScheduler(Scheduler):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.pop("schedule_filename", None)  # nothing persisted: no local file
        super().__init__(*args, **kwargs)
        self._lease: LeaseHolder | None = None
        self._engine = None
        self._active = False

    @property
    def lease(self) -> LeaseHolder:
        if self._lease is None:
            import bootstrap
            from workers.celery_app import settings

            self._engine = bootstrap.build_engine(settings, role=BEAT_ROLE)
            self._engine.heartbeat_details["lease"] = lambda: {"active": self._active}
            self._engine.components["heartbeat"].start()
            self._lease = LeaseHolder(self._engine.db, BEAT_LEASE, seconds=settings.lease_seconds)
        return self._lease

    def tick(self, *args, **kwargs) -> float:
        try:
            held = self.lease.acquire()
        except Exception as error:  # noqa: BLE001 - the database is down: send nothing, ask again
            log.warning("beat: could not reach the lease (%s: %s)", type(error).__name__, str(error)[:200])
            held = False
        if held != self._active:
            log.info("beat: %s", "active: sending the schedule" if held else "standing by")
            self._active = held
        if not held:
            return min(self.max_interval, self.lease.renew_in())
        # Back before the lease runs out, whatever the schedule's next entry.
        return min(super().tick(*args, **kwargs), self.lease.renew_in())

    def close(self) -> None:
        super().close()
        if self._lease is not None:
            self._lease.release()
        if self._engine is not None:
            self._engine.components["heartbeat"].stop()
            self._engine.dispose()
