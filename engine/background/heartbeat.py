"""Heartbeats: every long-running process says it is alive, and what it sees, in the shared record.

``HeartbeatWriter`` writes this process's row (engine.storage.heartbeats) every ``interval``
seconds from a thread of its own, and once more whenever this process answers a health check:
its role, when it started, the state of its database connection (``StorageHealth``) and what the
host's ``engine.heartbeat_details`` providers add (the domain's agency circuits). A write that
succeeds also proves the database takes writes again after a failure. The readers below build
the deployment's health from the rows of the processes that beat lately, so every process
answers the same.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from engine.storage import heartbeats
from engine.storage.db import read_only, storage_unavailable
from engine.storage.heartbeats import HeartbeatRecord

log = logging.getLogger("onestop.heartbeat")

BEAT_SECONDS = 5.0
# A process that has not written for this long is gone (or stuck).
ALIVE_SECONDS = 20.0


def wall_clock() -> datetime:
    return datetime.now(timezone.utc)


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class HeartbeatWriter:
    def __init__(self, engine, role: str, *, interval: float = BEAT_SECONDS) -> None:
        self.engine, self.role, self.interval = engine, role, interval
        self.started_at = wall_clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    @property
    def name(self) -> str:
        return heartbeats.PROCESS_PREFIX + this_process()  # after a fork, the child's own row

    def beat(self) -> None:
        """Write this process's row now (raises what the database raises)."""
        details: dict[str, Any] = {}
        for key, provider in list(self.engine.heartbeat_details.items()):
            try:
                details[key] = provider()
            except Exception as error:  # noqa: BLE001 - one provider's failure is reported, not fatal
                details[key] = {"error": type(error).__name__}
        details["storage"] = self.engine.storage_health.describe()
        try:
            with self.engine.db.begin() as conn:
                heartbeats.beat(conn, self.name, this_process(), self.role, wall_clock(), details, self.started_at)
        except BaseException as error:
            if storage_unavailable(error):
                self.engine.storage_health.failed(error)
            raise
        self.engine.storage_health.probe_succeeded()

    def refresh(self) -> None:
        """Beat now: a health check does, before it reads the shared record, so this process's
        own row is current (and the write tests the database). A failure is recorded
        (StorageHealth), not raised."""
        try:
            self.beat()
        except Exception as error:  # noqa: BLE001 - the health check reports it through StorageHealth
            log.debug("refreshing the heartbeat failed: %s", type(error).__name__)

    def start(self) -> HeartbeatWriter:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="onestop-heartbeat", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        beats = 0
        while not self._stop.is_set():
            try:
                self.beat()
                if beats % 720 == 0:  # about hourly: rows of processes gone long ago
                    with self.engine.db.begin() as conn:
                        heartbeats.forget_older_than(conn, wall_clock() - heartbeats.KEEP)
                beats += 1
                self._failing = False
            except BaseException as error:  # noqa: BLE001 - the heartbeat outlives any failure, logged once
                if not self._failing:
                    log.warning("writing the heartbeat failed: %s: %s", type(error).__name__, str(error)[:300])
                self._failing = True
            self._stop.wait(self.interval)


def beat_scheduler(engine, role: str, details: dict[str, Any]) -> None:
    """The scheduling process's row (the embedded leader at its passes, Celery's dispatcher)."""
    now = wall_clock()
    with engine.db.begin() as conn:
        heartbeats.beat(conn, heartbeats.SCHEDULER, this_process(), role, now, details, now)


def recent(engine, within: float = ALIVE_SECONDS) -> list[HeartbeatRecord]:
    with read_only(engine.db).connect() as conn:
        return heartbeats.recent(conn, wall_clock() - timedelta(seconds=within))


def processes(engine) -> list[HeartbeatRecord]:
    """The processes alive now (beat within ALIVE_SECONDS)."""
    return [row for row in recent(engine) if row.name.startswith(heartbeats.PROCESS_PREFIX)]


def scheduler_health(engine, mode: str, stale_after: float) -> dict[str, Any]:
    """The scheduling process as the shared record shows it: down when it has not passed for
    ``stale_after`` seconds, or said it stopped."""
    rows = {row.name: row for row in recent(engine, within=max(stale_after, ALIVE_SECONDS) * 10)}
    row = rows.get(heartbeats.SCHEDULER)
    if row is None:
        return {"status": "down", "mode": mode, "error": "no scheduler has run lately"}
    age = (wall_clock() - row.beat_at).total_seconds()
    stopped = bool(row.details.get("stopped"))
    healthy = age <= stale_after and not stopped and row.role == mode
    answer = {
        "status": "ok" if healthy else "down",
        "mode": row.role,
        "holder": row.holder,
        "last_pass_at": row.beat_at.isoformat(),
    }
    if stopped:
        answer["error"] = "the scheduler stopped"
    elif row.details.get("last_error"):
        answer["last_error"] = row.details["last_error"]
    return answer


def role_parts(role: str) -> set[str]:
    """The roles a process plays: ``celery-worker:agencies,outbox`` (a worker consuming two
    queues) is also ``celery-worker:agencies`` and ``celery-worker:outbox``."""
    kind, _, parts = role.partition(":")
    return {role} | {f"{kind}:{part}" for part in parts.split(",") if part}


def workers_health(engine, required: dict[str, str]) -> dict[str, Any]:
    """The live processes by role; down when a role in ``required`` (role -> what it does) has
    none alive (a process consuming several queues counts for each)."""
    alive = processes(engine)
    by_role: dict[str, list[dict[str, Any]]] = {}
    for row in alive:
        by_role.setdefault(row.role, []).append(
            {"process": row.holder, "started_at": row.started_at.isoformat(), "last_beat_at": row.beat_at.isoformat()}
        )
    covered = {part for role in by_role for part in role_parts(role)}
    missing = [f"no {role} is alive ({what})" for role, what in required.items() if role not in covered]
    answer: dict[str, Any] = {"status": "down" if missing else "ok", "processes": by_role}
    if missing:
        answer["error"] = "; ".join(missing)
    return answer
