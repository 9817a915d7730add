"""Fault injection for the agency simulator, per agency.

A fault is set with ``PUT /_admin/faults/<agency>`` (JSON below) or at start-up with the
environment variable ``ONESTOP_SIMULATOR_FAULTS`` (``{"<agency>": {...}, ...}``):

- ``mode``: ``none`` (answer normally), ``error`` (answer ``status``, 503 by default, without
  looking anything up), ``hang`` (look it up, then answer only after ``hang_seconds``: past the
  caller's timeout), ``malformed`` (JSON cut short), ``wrong_content_type`` (an HTML page);
- ``latency_ms``: added before every answer (a slow agency), with any mode;
- ``times``: the fault applies to the next N requests only, then the agency behaves again
  (a flaky agency); absent or null: until it is cleared.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

MODES = ("none", "error", "hang", "malformed", "wrong_content_type")


@dataclass(frozen=True)
class Fault:
    mode: str = "none"
    status: int = 503
    latency_ms: int = 0
    hang_seconds: float = 10.0
    times: int | None = None

    @classmethod
    def from_dict(cls, data: dict) -> Fault:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        fault = cls(**data)
        if fault.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        if not 100 <= int(fault.status) <= 599 or int(fault.latency_ms) < 0 or float(fault.hang_seconds) < 0:
            raise ValueError("status must be an HTTP status; latency_ms and hang_seconds not negative")
        if fault.times is not None and int(fault.times) < 1:
            raise ValueError("times must be at least 1 (or null for always)")
        return fault

    def as_dict(self) -> dict:
        return asdict(self)


NO_FAULT = Fault()


class FaultBook:
    """The fault set for each agency; ``take`` returns the one for the next request."""

    def __init__(self, initial: dict[str, dict] | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, tuple[Fault, int | None]] = {}
        for agency, settings in (initial or {}).items():
            self.set(agency, Fault.from_dict(settings))

    def set(self, agency: str, fault: Fault) -> None:
        with self._lock:
            self._faults[agency] = (fault, fault.times)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, agency: str) -> Fault:
        with self._lock:
            fault, remaining = self._faults.get(agency, (NO_FAULT, None))
            if remaining is not None:
                if remaining <= 1:
                    del self._faults[agency]
                else:
                    self._faults[agency] = (fault, remaining - 1)
            return fault
