"""Functions BPMN scripts and timer expressions may call to compute deadlines.

``working_days_after(n)`` and ``office_hours_after(h)`` count from the engine's "now" (the
time of the command being run, or of the event being replayed) with the office calendar as
known at that moment, and return ISO datetimes with an explicit +08:00 offset, ready for a
``timeDate`` timer: ``<bpmn:timeDate>working_days_after(3)</bpmn:timeDate>``.
``age_today(birth_date)`` gives whole years of age on the same "now" (the name change checks
criminal records from age 14), so replay gives the same answer.
"""

from __future__ import annotations

from datetime import date
from typing import Callable

from engine import current_now

from .calendar import OFFICE_ZONE
from .office_calendar import OfficeCalendar

MAX_DAYS = 3660
# The ones that give a moment a timer can wait for (the designer offers them for timer expressions).
TIMER_FUNCTIONS = ("working_days_after", "office_hours_after")
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

    def age_today(birth_date) -> int:
        """Whole years of age today (office time) of a person born on ``birth_date`` (YYYY-MM-DD)."""
        try:
            born = date.fromisoformat(birth_date)
        except (TypeError, ValueError):
            raise ValueError(f"age_today needs a date as YYYY-MM-DD, not {birth_date!r}") from None
        today = current_now().astimezone(OFFICE_ZONE).date()
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    return {"working_days_after": working_days_after, "office_hours_after": office_hours_after, "age_today": age_today}
