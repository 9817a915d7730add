"""The office's working-day calendar and the time rules of the Administrative Procedure Act.

Working days come, in this order, from manual overrides (typhoon closures), the official DGPA
calendar of the year when one was imported, and ``holidays.Taiwan`` (government days off and
make-up working Saturdays) otherwise. Periods follow §48: the day a period starts is not counted, and since only working days are
counted, a period always ends on a working day. Deadlines fall at the office's closing time,
except as §48(4) says: a period whose last day is a Saturday ends on the following Monday at
noon (上午), one ending on a Sunday, a national holiday or another day off on the next day.
A Saturday the calendar makes a working day (補行上班) is a working day like any other.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

OFFICE_ZONE = ZoneInfo("Asia/Taipei")
OFFICE_OPENS = time(8, 0)
OFFICE_CLOSES = time(17, 0)
SATURDAY_PERIOD_ENDS = time(12, 0)  # §48(4): the Monday after, in the morning (上午)


@lru_cache(maxsize=32)
def _taiwan_calendar(year: int) -> holidays.HolidayBase:
    return holidays.Taiwan(years=year)


class WorkingCalendar:
    def __init__(self, overrides: dict[date, bool] | None = None, official: dict[date, bool] | None = None) -> None:
        # date -> True (a working day after all) / False (closed, e.g. a typhoon day)
        self.overrides = dict(overrides or {})
        # The imported official calendar: every day of the years it covers.
        self.official = dict(official or {})

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day in self.official:
            return self.official[day]
        return _taiwan_calendar(day.year).is_working_day(day)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days after the day of ``start`` up to and including the day of ``end``."""
        day, last = _local(start).date(), _local(end).date()
        count = 0
        while day < last:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def office_hours_between(self, start: datetime, end: datetime) -> float:
        """Office hours (on working days, opening to closing) between two moments."""
        start, end = _local(start), _local(end)
        total = timedelta()
        day = start.date()
        while day <= end.date():
            if self.is_working_day(day):
                opens = max(datetime.combine(day, OFFICE_OPENS, OFFICE_ZONE), start)
                closes = min(_closing(day), end)
                if closes > opens:
                    total += closes - opens
            day += timedelta(days=1)
        return total.total_seconds() / 3600

    def working_days_after(self, start: datetime, days: int) -> datetime:
        """The end of the ``days``-th working day after the day of ``start`` (§48)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = _local(start).date()
        if days == 0:  # same-day service: by closing time, or the next working day if closed
            while not self.is_working_day(day):
                day += timedelta(days=1)
            return _closing(day)
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            counted += self.is_working_day(day)
        return _closing(day)

    def calendar_days_after(self, start: datetime, days: int) -> datetime:
        """The end of the ``days``-th day after the day of ``start``, counting days off too; a
        period ending on a day off ends on the next working day (§48)."""
        if days < 0:
            raise ValueError("days must not be negative")
        return self.period_end(_local(start).date() + timedelta(days=days))

    def period_end(self, last_day: date) -> datetime:
        """When a period whose last day is ``last_day`` ends (§48(4)): at closing time on a working
        day; on a day off, the next working day at closing, except that a Saturday off moves the
        end to noon of the Monday after (or, when that Monday is off too, of the next working day)."""
        if self.is_working_day(last_day):
            return _closing(last_day)
        day = last_day + timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        if last_day.weekday() == 5:
            return datetime.combine(day, SATURDAY_PERIOD_ENDS, OFFICE_ZONE)
        return _closing(day)

    @staticmethod
    def calendar_days_between(start: datetime, end: datetime) -> int:
        """Days after the day of ``start`` up to and including the day of ``end``."""
        return max(0, (_local(end).date() - _local(start).date()).days)

    def office_hours_after(self, start: datetime, hours: float) -> datetime:
        """The moment ``hours`` office hours after ``start``, skipping nights and days off."""
        remaining = timedelta(hours=hours)
        moment = _local(start)
        while True:
            day = moment.date()
            opens = datetime.combine(day, OFFICE_OPENS, OFFICE_ZONE)
            closes = _closing(day)
            if self.is_working_day(day) and moment < closes:
                moment = max(moment, opens)
                if moment + remaining <= closes:
                    return moment + remaining
                remaining -= closes - moment
            moment = datetime.combine(day + timedelta(days=1), OFFICE_OPENS, OFFICE_ZONE)


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a time zone is required")
    return moment.astimezone(OFFICE_ZONE)


def _closing(day: date) -> datetime:
    return datetime.combine(day, OFFICE_CLOSES, OFFICE_ZONE)
