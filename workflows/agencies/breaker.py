"""A circuit breaker per agency: stop calling an agency that keeps failing, try again later.

- closed: calls go through; ``failure_threshold`` failures in a row open the circuit;
- open: calls are refused at once (no request leaves) for ``reset_seconds``;
- half-open: after that, one trial call goes through (others are still refused while it
  runs); its success closes the circuit, its failure opens it for another ``reset_seconds``.

Why not a library: pybreaker, the maintained choice, holds one lock around the whole guarded
call, so the calls to an agency from one process's threads would run one at a time. Here the
lock covers only the state changes.

The state lives in the process (one breaker per agency per engine, and a process has one
engine). Several processes (gunicorn workers, Celery worker processes) each keep their own:
an agency that is down gets up to ``failure_threshold`` calls from each process before all of
them stop calling it, and each process sends its own trial call. That is a bounded cost, and it
needs no shared store that could itself fail.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or reset_seconds < 0:
            raise ValueError("failure_threshold must be at least 1 and reset_seconds not negative")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_running = False

    @property
    def state(self) -> str:
        with self._lock:
            return self._current_state()

    def _current_state(self) -> str:
        if self._state == OPEN and self._clock() - self._opened_at >= self.reset_seconds:
            self._state, self._trial_running = HALF_OPEN, False
        return self._state

    def allow(self) -> bool:
        """May a call go out now? In half-open, only the one trial call may."""
        with self._lock:
            state = self._current_state()
            if state == CLOSED:
                return True
            if state == HALF_OPEN and not self._trial_running:
                self._trial_running = True
                return True
            return False

    def succeeded(self) -> None:
        with self._lock:
            self._state, self._failures, self._trial_running = CLOSED, 0, False

    def failed(self) -> None:
        with self._lock:
            self._failures += 1
            if self._current_state() == HALF_OPEN or self._failures >= self.failure_threshold:
                self._state, self._opened_at, self._trial_running = OPEN, self._clock(), False

    def seconds_until_trial(self) -> float:
        """How long the circuit stays open (0 when it is not open)."""
        with self._lock:
            if self._current_state() != OPEN:
                return 0.0
            return max(0.0, self.reset_seconds - (self._clock() - self._opened_at))

    def describe(self) -> dict:
        with self._lock:
            return {"state": self._current_state(), "consecutive_failures": self._failures}
