from datetime import date, datetime

import pytest

from workflows.calendar import OFFICE_ZONE, WorkingCalendar
from workflows.identifiers import mask_national_id, mask_national_ids, valid_national_id


def local(*parts):
    return datetime(*parts, tzinfo=OFFICE_ZONE)


@pytest.fixture
def calendar():
    return WorkingCalendar()


def test_known_days(calendar):
    assert calendar.is_working_day(date(2025, 2, 8))  # make-up working Saturday
    assert not calendar.is_working_day(date(2025, 1, 29))  # Lunar New Year
    assert not calendar.is_working_day(date(2026, 3, 7))  # an ordinary Saturday
    assert calendar.is_working_day(date(2026, 3, 2))


def test_first_day_is_not_counted_and_periods_skip_days_off(calendar):
    # Received Friday 2026-03-06: one working day later is Monday 03-09, at closing time.
    assert calendar.working_days_after(local(2026, 3, 6, 10), 1) == local(2026, 3, 9, 17)
    # Received just before Lunar New Year 2025 (01-24 Fri): three working days -> 02-05.
    assert calendar.working_days_after(local(2025, 1, 24, 9), 3) == local(2025, 2, 5, 17)
    # Same-day service on a Sunday ends on the next working day.
    assert calendar.working_days_after(local(2026, 3, 8, 9), 0) == local(2026, 3, 9, 17)


def test_office_hours_run_across_nights_and_weekends(calendar):
    assert calendar.office_hours_after(local(2026, 3, 2, 9), 4) == local(2026, 3, 2, 13)
    assert calendar.office_hours_after(local(2026, 3, 6, 15), 4) == local(2026, 3, 9, 10)
    assert calendar.office_hours_after(local(2026, 3, 7, 20), 1) == local(2026, 3, 9, 9)


def test_overrides_close_a_day(calendar):
    typhoon = WorkingCalendar({date(2026, 3, 9): False})
    assert typhoon.working_days_after(local(2026, 3, 6, 10), 1) == local(2026, 3, 10, 17)


@pytest.mark.parametrize(
    "value, valid",
    [
        ("A123456789", True),
        ("A123456788", False),
        ("a123456789", False),
        ("A12345678", False),
        ("A800000005", True),
        ("A800000004", False),  # new-format resident numbers
        ("AA00000009", True),
        ("AA00000008", False),  # old-format: second letter counts as 0
        (None, False),
        (1234567890, False),
    ],
)
def test_national_id_checksum(value, valid):
    assert valid_national_id(value) is valid


def test_mask():
    assert mask_national_id("A123456789") == "A12****789"


def test_masking_finds_national_ids_anywhere_in_json_like_data():
    data = {
        "national_id": "A123456789",
        "note": "申請人 A123456789 來電, spouse F2234567890",
        "items": ["B123456780", 1234567890, None],
        "name": "王小明",
    }
    # The 11-character token is masked too: masking too much costs nothing.
    assert mask_national_ids(data) == {
        "national_id": "A12****789",
        "note": "申請人 A12****789 來電, spouse F22****7890",
        "items": ["B12****780", 1234567890, None],
        "name": "王小明",
    }


def test_made_national_ids_pass_the_checksum_and_carry_the_sex():
    import random

    from workflows.identifiers import make_national_id

    rng = random.Random(9)
    made = [make_national_id(rng) for _ in range(500)]
    assert all(valid_national_id(number) for number in made) and len(set(made)) == 500
    assert make_national_id(rng, "female")[1] == "2" and make_national_id(rng, "male")[1] == "1"
    assert not valid_national_id(made[0][:-1] + str((int(made[0][-1]) + 1) % 10))
