"""Backing off instead of spinning: after failures, wait longer and longer before trying again.

``Backoff`` keeps the failures of many items (cases, jobs, messages) by key: an item that failed
``n`` times in a row is skipped for ``first * 2**(n-1)`` seconds (at most ``maximum``).
``StorageHealth`` is what one process has seen of its database lately: failing since when, how
many failures in a row (a full disk, a read-only file, a database that does not answer). The
background loops sleep while it backs off, the API answers 503 with its ``retry_after``, and the
health check reports it; the first write that succeeds again clears it.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Any, Hashable


def delay_after(failures: int, first: float, maximum: float) -> float:
    return min(maximum, first * 2 ** max(failures - 1, 0)) if failures else 0.0


class Backoff:
    """Failures in a row per key, and until when (time.monotonic) each key waits."""

    def __init__(self, first: float = 1.0, maximum: float = 300.0) -> None:
        self.first, self.maximum = first, maximum
        self._failing: dict[Hashable, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def failed(self, key: Hashable) -> float:
        """Count a failure of ``key``; returns how long it waits now."""
        with self._lock:
            failures = self._failing.get(key, (0, 0.0))[0] + 1
            delay = delay_after(failures, self.first, self.maximum)
            self._failing[key] = (failures, time.monotonic() + delay)
            return delay

    def succeeded(self, key: Hashable) -> None:
        with self._lock:
            self._failing.pop(key, None)

    def waiting(self, key: Hashable) -> bool:
        with self._lock:
            entry = self._failing.get(key)
            return entry is not None and entry[1] > time.monotonic()

    def __len__(self) -> int:
        return len(self._failing)


class StorageHealth:
    RECOVERY_SECONDS = 30.0

    def __init__(self, first: float = 0.5, maximum: float = 30.0) -> None:
        self.first, self.maximum = first, maximum
        self._lock = threading.Lock()
        self.failures = 0
        self.failing_since: datetime | None = None
        self.last_error: str | None = None
        self._last_failure = 0.0  # time.monotonic

    def failed(self, error: BaseException) -> None:
        # The driver's own words only: SQLAlchemy's text of an error repeats the statement.
        text = str(getattr(error, "orig", None) or error).splitlines()[0] if str(error) else type(error).__name__
        with self._lock:
            self.failures += 1
            self.failing_since = self.failing_since or datetime.now(timezone.utc)
            self.last_error = f"{type(error).__name__}: {text}"[:300]
            self._last_failure = time.monotonic()

    def succeeded(self) -> None:
        """A command's writes committed: the database works."""
        if self.failures:  # cheap on the hot path: every command reports its success
            with self._lock:
                self.failures, self.failing_since, self.last_error = 0, None, None

    def probe_succeeded(self) -> None:
        """A small write (a heartbeat) committed. It proves less than a command's: a nearly full
        database still takes a row rewritten in place. So it clears the failures only once none
        happened for RECOVERY_SECONDS."""
        if self.failures and time.monotonic() - self._last_failure >= self.RECOVERY_SECONDS:
            self.succeeded()

    @property
    def failing(self) -> bool:
        return self.failures > 0

    def backoff_seconds(self) -> float:
        """How long background work should still wait before touching the database again."""
        with self._lock:
            if not self.failures:
                return 0.0
            delay = delay_after(self.failures, self.first, self.maximum)
            return max(0.0, self._last_failure + delay - time.monotonic())

    def retry_after(self) -> int:
        """What to tell a client in Retry-After (whole seconds, at least 1)."""
        return max(1, round(delay_after(self.failures or 1, self.first, self.maximum) + 0.49))

    def describe(self) -> dict[str, Any]:
        if not self.failures:
            return {"status": "ok"}
        return {
            "status": "down",
            "failing_since": self.failing_since.isoformat() if self.failing_since else None,
            "consecutive_failures": self.failures,
            "last_error": self.last_error,
        }
