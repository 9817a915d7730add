"""The working-day calendar: known days of 2025-2027, §48 counting, the DGPA importer, audited
overrides, the calendar as known at a moment, and the functions BPMN calls."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from engine import Conflict, InvalidInput, ManualClock, NotFound, execution_context, files_from_folder
from engine import commands as cmd
from engine.storage import CalendarDay, CalendarEdition, CalendarOverride, Case
from tests.conftest import BPMN
from workflows.calendar import WorkingCalendar
from workflows.dgpa import parse_dgpa_csv, to_dgpa_csv
from workflows.time_functions import time_functions

from .conftest import taipei


@pytest.fixture
def calendar(engine):
    return engine.catalogue.calendar


def year_of(year: int, calendar=None) -> dict[date, bool]:
    calendar = calendar or WorkingCalendar()
    day, days = date(year, 1, 1), {}
    while day.year == year:
        days[day] = calendar.is_working_day(day)
        day += timedelta(days=1)
    return days


@pytest.mark.parametrize(
    "day, working",
    [
        (date(2025, 2, 8), True),  # make-up working Saturday for 2025-01-27
        (date(2025, 1, 27), False),  # the bridge day it pays for
        (date(2025, 1, 28), False),  # Lunar New Year's Eve 2025
        (date(2025, 1, 29), False),  # Lunar New Year's Day 2025
        (date(2025, 1, 31), False),
        (date(2025, 2, 3), True),  # back to work
        (date(2025, 2, 28), False),  # Peace Memorial Day
        (date(2025, 10, 10), False),  # National Day
        (date(2026, 2, 16), False),  # Lunar New Year's Eve 2026
        (date(2026, 2, 17), False),  # Lunar New Year's Day 2026
        (date(2026, 2, 20), False),
        (date(2026, 2, 23), True),
        (date(2026, 2, 27), False),  # Peace Memorial Day (Saturday) observed on Friday
        (date(2026, 3, 2), True),
        (date(2027, 2, 5), False),  # Lunar New Year's Eve 2027
        (date(2027, 2, 8), False),
        (date(2027, 2, 10), False),  # observed for the New Year days falling on the weekend
        (date(2027, 2, 11), True),
        (date(2027, 3, 6), False),  # an ordinary Saturday
    ],
)
def test_known_days_2025_to_2027(calendar, day, working):
    assert calendar.as_of(datetime.now(timezone.utc)).is_working_day(day) is working


@pytest.mark.parametrize(
    "start, days, due",
    [
        # §48: the day of receipt is not counted.
        (taipei(2026, 3, 2, 9), 1, taipei(2026, 3, 3, 17)),
        # Received on Friday: Saturday and Sunday are not working days.
        (taipei(2026, 3, 6, 16, 59), 1, taipei(2026, 3, 9, 17)),
        # Received on a Sunday: counting starts the next day, Monday is day 1.
        (taipei(2026, 3, 8, 10), 1, taipei(2026, 3, 9, 17)),
        # Received after closing time still counts from the next day, not later.
        (taipei(2026, 3, 2, 20), 1, taipei(2026, 3, 3, 17)),
        # A period that would end in Lunar New Year 2026 ends on the next working day.
        (taipei(2026, 2, 12, 9), 2, taipei(2026, 2, 23, 17)),
        # The make-up Saturday 2025-02-08 counts.
        (taipei(2025, 2, 6, 9), 2, taipei(2025, 2, 8, 17)),
        # Across the turn of the year (2027-12-31 is a day off, observed for 2028-01-01).
        (taipei(2027, 12, 30, 9), 1, taipei(2028, 1, 3, 17)),
        # Zero days on a day off: the next working day.
        (taipei(2026, 2, 14, 9), 0, taipei(2026, 2, 23, 17)),
        # Midnight UTC is already 08:00 in Taipei: the local date decides.
        (datetime(2026, 3, 1, 16, 30, tzinfo=timezone.utc), 1, taipei(2026, 3, 3, 17)),
    ],
)
def test_article_48_counting(start, days, due):
    assert WorkingCalendar().working_days_after(start, days) == due


def test_paused_days_are_counted_like_periods():
    calendar = WorkingCalendar()
    # Paused Friday before Lunar New Year 2026, resumed after it: only Monday 02-23 counts.
    assert calendar.working_days_between(taipei(2026, 2, 13, 10), taipei(2026, 2, 23, 9)) == 1
    assert calendar.working_days_between(taipei(2026, 3, 2, 9), taipei(2026, 3, 2, 16)) == 0
    assert calendar.office_hours_between(taipei(2026, 3, 6, 15), taipei(2026, 3, 9, 10)) == pytest.approx(4)


def dgpa_year(year: int, changes: dict[date, bool] | None = None) -> bytes:
    days = {**year_of(year), **(changes or {})}
    return to_dgpa_csv(days, {date(year, 1, 1): "開國紀念日"})


def test_dgpa_file_is_read_and_replaces_the_default_for_its_year(engine, calendar, clock):
    content = dgpa_year(2026, {date(2026, 3, 3): False})
    assert content.startswith("\ufeff".encode()) and "西元日期,星期,是否放假,備註".encode() in content
    imported = calendar.import_dgpa(
        content, source_name="114年中華民國政府行政機關辦公日曆表.csv", actor="admin", now=clock.now()
    )
    assert imported["created"] and imported["changed_days"] == [date(2026, 3, 3)]
    assert not calendar.as_of(clock.now()).is_working_day(date(2026, 3, 3))
    assert calendar.as_of(clock.now()).is_working_day(date(2027, 3, 3))  # other years: the default
    again = calendar.import_dgpa(content, source_name="again.csv", actor="admin", now=clock.now())
    assert again == {
        "edition_id": imported["edition_id"],
        "year": 2026,
        "created": False,
        "replaced": None,
        "changed_days": [],
    }
    [edition] = calendar.editions()
    days_off = sum(1 for working in {**year_of(2026), date(2026, 3, 3): False}.values() if not working)
    assert (edition["year"], edition["imported_by"], edition["days_off"]) == (2026, "admin", days_off)


def test_a_revised_edition_replaces_the_earlier_one_and_both_stay_on_record(calendar, clock):
    first = calendar.import_dgpa(
        dgpa_year(2026, {date(2026, 3, 3): False}), source_name="v1.csv", actor="admin", now=clock.now()
    )
    imported_at = clock.now()
    clock.advance(days=1)
    revised = calendar.import_dgpa(
        dgpa_year(2026, {date(2026, 3, 4): False}), source_name="v2.csv", actor="admin", now=clock.now()
    )
    assert revised["replaced"] == first["edition_id"]
    assert sorted(revised["changed_days"]) == [date(2026, 3, 3), date(2026, 3, 4)]
    now = calendar.as_of(clock.now())
    assert now.is_working_day(date(2026, 3, 3)) and not now.is_working_day(date(2026, 3, 4))
    before = calendar.as_of(imported_at)  # what the office knew before the revision
    assert not before.is_working_day(date(2026, 3, 3)) and before.is_working_day(date(2026, 3, 4))
    assert [e["source_name"] for e in calendar.editions()] == ["v1.csv", "v2.csv"]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "header"),
        ("西元日期,星期,是否放假,備註\n20260101,四,2,\n".encode("big5", errors="ignore") + b"\xff\xfe", "UTF-8"),
        ("\ufeff西元日期,星期,是否放假,備註\n2026-01-01,四,2,\n".encode(), "YYYYMMDD"),
        ("\ufeff西元日期,星期,是否放假,備註\n20260101,四,1,\n".encode(), "0 (working day) or 2"),
        ("\ufeff西元日期,星期,是否放假,備註\n20260101,五,2,\n".encode(), "is a 四"),
        ("\ufeff西元日期,星期,是否放假,備註\n20260101,四,2,\n20260101,四,2,\n".encode(), "twice"),
        ("\ufeff西元日期,星期,是否放假,備註\n20260101,四,2,\n".encode(), "not all 365"),
        ("\ufeff西元日期,星期,是否放假,備註\n20261231,四,2,\n20270101,五,2,\n".encode(), "one year"),
        ("\ufeffdate,weekday,off,note\n".encode(), "header"),
    ],
)
def test_bad_dgpa_files_are_refused_whole(engine, calendar, clock, content, message):
    with pytest.raises(InvalidInput) as raised:
        calendar.import_dgpa(content, source_name="bad.csv", actor="admin", now=clock.now())
    assert message in str(raised.value.details["errors"]) + raised.value.message
    with engine.read() as session:
        assert session.scalar(select(func.count()).select_from(CalendarEdition)) == 0
        assert session.scalar(select(func.count()).select_from(CalendarDay)) == 0


def test_a_file_with_many_problems_reports_them_by_line():
    lines = ["\ufeff西元日期,星期,是否放假,備註"] + [f"2026010{n},一,9," for n in range(1, 10)]
    with pytest.raises(InvalidInput) as raised:
        parse_dgpa_csv("\n".join(lines).encode())
    fields = {error["field"] for error in raised.value.details["errors"]}
    assert fields == {f"line {n}" for n in range(2, 11)} | {"line 1"}  # each row, and "no days" overall


def test_overrides_are_audited_and_revocable(engine, calendar, clock):
    typhoon = date(2026, 3, 3)
    added = calendar.add_override(typhoon, False, "颱風停班 typhoon closure", actor="supervisor", now=clock.now())
    assert added["changed_days"] == [typhoon]
    assert not calendar.as_of(clock.now()).is_working_day(typhoon)
    added_at = clock.now()
    clock.advance(hours=2)
    revoked = calendar.revoke_override(added["override_id"], actor="admin", now=clock.now())
    assert revoked["changed_days"] == [typhoon]
    assert calendar.as_of(clock.now()).is_working_day(typhoon)
    assert not calendar.as_of(added_at).is_working_day(typhoon)  # the past stays as it was known
    [row] = calendar.overrides()
    assert (row["created_by"], row["revoked_by"], row["reason"]) == ("supervisor", "admin", "颱風停班 typhoon closure")
    assert row["created_at"] == added_at and row["revoked_at"] == clock.now()
    with pytest.raises(Conflict):
        calendar.revoke_override(added["override_id"], actor="admin", now=clock.now())
    with pytest.raises(NotFound):
        calendar.revoke_override(999, actor="admin", now=clock.now())
    for bad in [
        dict(day="2026-03-03", working=False, reason="x"),
        dict(day=typhoon, working="no", reason="x"),
        dict(day=typhoon, working=False, reason="  "),
    ]:
        with pytest.raises(InvalidInput):
            calendar.add_override(bad["day"], bad["working"], bad["reason"], actor="a", now=clock.now())
    with engine.read() as session:
        assert session.scalar(select(func.count()).select_from(CalendarOverride)) == 1


def test_time_functions_return_taipei_iso_strings_from_the_engine_clock(calendar, clock):
    functions = time_functions(calendar)
    with execution_context(ManualClock(taipei(2026, 2, 12, 9))):
        assert functions["working_days_after"](2) == "2026-02-23T17:00:00+08:00"
        assert functions["office_hours_after"](4) == "2026-02-12T13:00:00+08:00"
        assert functions["office_hours_after"](9.5) == "2026-02-13T09:30:00+08:00"
    calendar.add_override(date(2026, 2, 23), False, "typhoon", actor="admin", now=clock.now())
    with execution_context(ManualClock(taipei(2026, 2, 12, 9))):
        # Before the override existed the answer stays what it was (replay needs that)...
        assert functions["working_days_after"](2) == "2026-02-23T17:00:00+08:00"
    with execution_context(ManualClock(clock.now() + timedelta(seconds=1))):
        assert functions["working_days_after"](0).endswith("+08:00")
    for bad in (-1, 1.5, True, "3", None):
        with pytest.raises(ValueError):
            functions["working_days_after"](bad)
    with pytest.raises(ValueError):
        functions["office_hours_after"](-2)


def test_calendar_days_count_days_off_but_end_on_a_working_day():
    calendar = WorkingCalendar()
    assert calendar.calendar_days_after(taipei(2026, 3, 2, 9), 30) == taipei(2026, 4, 1, 17)
    # Three days after 12 February is a Sunday in the Lunar New Year break: the period ends
    # at closing time of the first working day after it (§48).
    assert calendar.calendar_days_after(taipei(2026, 2, 12, 9), 3) == taipei(2026, 2, 23, 17)
    assert calendar.calendar_days_between(taipei(2026, 2, 12, 16), taipei(2026, 2, 23, 9)) == 11


def test_age_today_counts_whole_years_on_the_engine_clock(calendar):
    age_today = time_functions(calendar)["age_today"]
    with execution_context(ManualClock(taipei(2026, 3, 2, 9))):
        assert age_today("2012-03-02") == 14 and age_today("2012-03-03") == 13
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            age_today("02/03/2012")


def test_a_period_ending_on_a_saturday_ends_on_the_monday_at_noon():
    """§48(4): a period whose last day is a Saturday ends on the following Monday in the morning
    (上午: at noon); one ending on a Sunday or a holiday, at closing time of the next working day."""
    calendar = WorkingCalendar()
    # Received Thursday 2026-03-05: 2 days later is Saturday 03-07 -> Monday 03-09 at 12:00.
    assert calendar.calendar_days_after(taipei(2026, 3, 5, 10), 2) == taipei(2026, 3, 9, 12)
    # 3 days later is Sunday 03-08 -> Monday at closing time.
    assert calendar.calendar_days_after(taipei(2026, 3, 5, 10), 3) == taipei(2026, 3, 9, 17)
    # A Saturday before a Monday off: noon of the next working day (Lunar New Year 2026: the
    # Saturday 02-14 is followed by days off until Monday 02-23).
    assert calendar.calendar_days_after(taipei(2026, 2, 12, 9), 2) == taipei(2026, 2, 23, 12)
    # A make-up working Saturday is a working day like any other: the period ends at its closing.
    assert calendar.calendar_days_after(taipei(2025, 2, 6, 9), 2) == taipei(2025, 2, 8, 17)


def test_a_complaint_due_on_a_saturday_is_due_monday_noon(engine, clock):
    engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / "complaint"), actor="designer"))
    clock.set(taipei(2026, 3, 12, 10))  # Thursday; 30 days later is Saturday 2026-04-11
    case = engine.handle(cmd.StartCase("complaint", {}, actor="clerk-1"))
    with engine.read() as session:
        assert session.get(Case, case.case_id).due_at == taipei(2026, 4, 13, 12)
