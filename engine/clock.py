"""One injectable clock for the engine and for SpiffWorkflow.

SpiffWorkflow has no clock parameter: its timers call ``datetime.now`` on the name imported in
``SpiffWorkflow.bpmn.specs.event_definitions.timer`` and tasks stamp ``time.time()`` and
``uuid4()`` from ``SpiffWorkflow.task``. ``install()`` replaces those three names once per
process with versions that consult the *execution context* of the current thread:

- the clock (so tests, replay and simulations control what "now" is);
- a deterministic task-id sequence per case (so replaying a case's events rebuilds exactly
  the same task tree, ids included, and the stored state can be compared byte for byte).

Outside an execution context everything behaves as the library would on its own.
"""

from __future__ import annotations

import hashlib
import threading
import time as _time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Iterator, Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ManualClock:
    """A clock that moves only when told to: for tests, replay and simulations."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 1, 0, tzinfo=timezone.utc)
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware datetime")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        # Reading one attribute is atomic; only read-modify-write (advance) needs the lock. This
        # runs for every task state change in a command, so it stays cheap.
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware datetime")
        with self._lock:
            self._now = when

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._now = self._now + timedelta(**delta)
            return self._now


class TaskIdSequence:
    """Deterministic task ids for one case: uuid5(case id, n) for n = start, start+1, ..."""

    def __init__(self, case_id: str, start: int = 0) -> None:
        self._namespace = uuid.UUID(case_id).bytes
        self.next_index = start

    def __call__(self) -> uuid.UUID:
        # uuid.uuid5, without the checks of UUID's constructor (a task is created at every step)
        digest = hashlib.sha1(self._namespace + str(self.next_index).encode()).digest()
        self.next_index += 1
        task_id = object.__new__(uuid.UUID)
        object.__setattr__(task_id, "int", (int.from_bytes(digest[:16], "big") & _UUID5_MASK) | _UUID5_BITS)
        object.__setattr__(task_id, "is_safe", uuid.SafeUUID.unknown)
        return task_id


# The version (5) and variant (RFC 4122) bits uuid5 sets.
_UUID5_MASK = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID5_BITS = (5 << 76) | (0x8000 << 48)


_context = threading.local()


def current_now() -> datetime:
    clock = getattr(_context, "clock", None)
    return clock.now() if clock is not None else datetime.now(timezone.utc)


@contextmanager
def execution_context(clock: Clock, task_ids: TaskIdSequence | None = None) -> Iterator[None]:
    """Run SpiffWorkflow code in this thread with the given clock and task-id sequence."""
    install()
    previous = (getattr(_context, "clock", None), getattr(_context, "task_ids", None))
    _context.clock, _context.task_ids = clock, task_ids
    try:
        yield
    finally:
        _context.clock, _context.task_ids = previous


class _ContextDatetime(datetime):
    """``datetime`` whose ``now()`` reads the execution context's clock."""

    @classmethod
    def now(cls, tz=None):  # noqa: D401 - same signature as datetime.now
        moment = current_now()
        return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)


class _ContextTime:
    """Stands in for the ``time`` module inside ``SpiffWorkflow.task``."""

    def __getattr__(self, name):
        return getattr(_time, name)

    @staticmethod
    def time() -> float:
        clock = getattr(_context, "clock", None)
        return _time.time() if clock is None else clock.now().timestamp()


def _context_uuid4() -> uuid.UUID:
    sequence = getattr(_context, "task_ids", None)
    return sequence() if sequence is not None else uuid.uuid4()


_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Patch SpiffWorkflow's time and id sources once per process (idempotent)."""
    global _installed
    if _installed:
        return
    with _install_lock:
        if _installed:
            return
        from SpiffWorkflow import task as spiff_task
        from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

        spiff_timer.datetime = _ContextDatetime
        spiff_task.time = _ContextTime()
        spiff_task.uuid4 = _context_uuid4
        _installed = True
