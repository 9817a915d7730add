"""Reading the official government office calendar (行政機關辦公日曆表, DGPA open data 14718).

One CSV per year, UTF-8 with a byte-order mark, columns ``西元日期,星期,是否放假,備註``:
the date as YYYYMMDD, the weekday in Chinese, 0 for a working day (make-up Saturdays included)
or 2 for a day off, and a note (the holiday's name). A file is accepted whole or not at all:
every problem is reported with its line number.
"""

from __future__ import annotations

import csv
import hashlib
import io
from calendar import isleap
from dataclasses import dataclass
from datetime import date, datetime

from engine import InvalidInput

HEADER = ["西元日期", "星期", "是否放假", "備註"]
WEEKDAYS = "一二三四五六日"  # Monday first, like date.weekday()
WORKING, DAY_OFF = "0", "2"
MAX_BYTES = 1024 * 1024
MAX_REPORTED = 20


@dataclass(frozen=True)
class CalendarYear:
    year: int
    days: dict[date, tuple[bool, str | None]]  # day -> (working?, note)
    sha256: str

    @property
    def days_off(self) -> int:
        return sum(1 for working, _note in self.days.values() if not working)


def parse_dgpa_csv(content: bytes) -> CalendarYear:
    """Parse one year's file; InvalidInput lists every line that is wrong."""
    if not isinstance(content, (bytes, bytearray)):
        raise InvalidInput("The calendar file must be bytes", errors=[{"field": "file", "message": "not bytes"}])
    if len(content) > MAX_BYTES:
        raise InvalidInput(
            "The calendar file is too large", errors=[{"field": "file", "message": f"at most {MAX_BYTES} bytes"}]
        )
    try:
        text = bytes(content).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            "The calendar file is not UTF-8 (the DGPA files are UTF-8 with BOM)",
            errors=[{"field": "file", "message": str(error)}],
        ) from error
    rows = list(csv.reader(io.StringIO(text)))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows or [cell.strip() for cell in rows[0]][:4] != HEADER:
        found = ",".join(rows[0]) if rows else "(empty file)"
        raise InvalidInput(
            f"The calendar file must start with the header {','.join(HEADER)}",
            errors=[{"field": "line 1", "message": f"found {found[:200]}"}],
        )
    errors: list[dict] = []
    days: dict[date, tuple[bool, str | None]] = {}

    def problem(line: int, message: str) -> None:
        errors.append({"field": f"line {line}", "message": message})

    for line, row in enumerate(rows[1:], start=2):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if len(cells) < 3:
            problem(line, "expected 西元日期,星期,是否放假,備註")
            continue
        raw_day, weekday, flag = cells[0], cells[1], cells[2]
        note = cells[3] if len(cells) > 3 and cells[3] else None
        try:
            day = datetime.strptime(raw_day, "%Y%m%d").date() if len(raw_day) == 8 else None
        except ValueError:
            day = None
        if day is None:
            problem(line, f"'{raw_day[:20]}' is not a date written YYYYMMDD")
            continue
        if weekday and weekday != WEEKDAYS[day.weekday()]:
            problem(line, f"{day} is a {WEEKDAYS[day.weekday()]}, not a {weekday[:5]}")
        if flag not in (WORKING, DAY_OFF):
            problem(line, f"是否放假 must be 0 (working day) or 2 (day off), not '{flag[:10]}'")
            continue
        if day in days:
            problem(line, f"{day} appears twice")
            continue
        days[day] = (flag == WORKING, note[:200] if note else None)
    years = sorted({day.year for day in days})
    if len(years) > 1:
        problem(1, f"one file covers one year; this one has days of {', '.join(map(str, years))}")
    elif years:
        expected = 366 if isleap(years[0]) else 365
        if len(days) != expected and not errors:
            problem(1, f"the file lists {len(days)} days of {years[0]}, not all {expected}")
    else:
        problem(1, "the file lists no days")
    if errors:
        shown = errors[:MAX_REPORTED]
        if len(errors) > MAX_REPORTED:
            shown.append({"field": "file", "message": f"and {len(errors) - MAX_REPORTED} more problems"})
        raise InvalidInput("The calendar file was not imported: it has errors", errors=shown)
    return CalendarYear(years[0], days, hashlib.sha256(bytes(content)).hexdigest())


def to_dgpa_csv(days: dict[date, bool], notes: dict[date, str] | None = None) -> bytes:
    """Write days in the DGPA format (used to produce test files and exports)."""
    notes = notes or {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for day in sorted(days):
        writer.writerow(
            [day.strftime("%Y%m%d"), WEEKDAYS[day.weekday()], WORKING if days[day] else DAY_OFF, notes.get(day, "")]
        )
    return out.getvalue().encode("utf-8-sig")
