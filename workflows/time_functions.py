"""Functions BPMN scripts and timer expressions may call to compute deadlines.

``working_days_after(n)`` and ``office_hours_after(h)`` count from the engine's "now" (the
time of the command being run, or of the event being replayed) with the office calendar as
known at that moment, and return ISO datetimes with an explicit +08:00 offset, ready for a
``timeDate`` timer: ``<bpmn:timeDate>working_days_after(3)</bpmn:timeDate>``.
"""
from __future__ import annotations

from typing import Callable

from engine.clock import current_now

from .office_calendar import OfficeCalendar

MAX_DAYS = 3660
MAX_HOURS = 10000


def time_functions(calendar: OfficeCalendar) -> dict[str, Callable]:
    def working_days_after(days) -> str:
        """The end of the n-th working day after today (APA §48: today is not counted)."""
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_DAYS:
            raise ValueError(f"working_days_after needs a whole number of days from 0 to {MAX_DAYS}, not {days!r}")
        now = current_now()
        return calendar.as_of(now).working_days_after(now, days).isoformat()

    def office_hours_after(hours) -> str:
        """The moment that many office hours from now, skipping nights and days off."""
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 <= hours <= MAX_HOURS:
            raise ValueError(f"office_hours_after needs a number of hours from 0 to {MAX_HOURS}, not {hours!r}")
        now = current_now()
        return calendar.as_of(now).office_hours_after(now, hours).isoformat()

    return {"working_days_after": working_days_after, "office_hours_after": office_hours_after}
