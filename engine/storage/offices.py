"""The offices (organisational units): who they are, where they are, which of them a user works for.

An office's code shows in its case numbers; its place (``region``, ``district``) decides its
working-day calendar. The place is fixed once the office exists (the due dates of its cases were
computed by it), so each process keeps the places it has read without asking again.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from engine.errors import Conflict, InvalidInput, NotFound
from engine.storage.db import read_only
from engine.storage.direct_sql import DirectStatement
from engine.storage.place_models import DEFAULT_OFFICE, Office

OFFICES = Office.__table__
# Codes show in case numbers ("2026-TN05-000123", at most 20 characters): short, plain letters
# and digits.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9]{1,8}$")
ALL_OFFICES = "*"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOUR = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
EDITABLE = ("name", "address", "phone", "counters", "opening_hours", "active")
Place = tuple[str, ...]


def offices_of(user_offices: Iterable[str] | None) -> frozenset[str] | None:
    """The offices a user's ``offices`` column gives: None (every office) for "*" or none (an
    install of one office; with several, users are created with theirs: ``check_user_offices``)."""
    codes = frozenset(user_offices or ())
    return None if not codes or ALL_OFFICES in codes else codes


def check_user_offices(conn: Connection, offices: list[str] | None) -> list[str]:
    """The offices a new or changed user works for, checked: each an existing office, or "*".
    Where there are several offices, a user must be given theirs (else they would reach every one)."""
    codes = sorted(set(offices or ()))
    known = {DEFAULT_OFFICE, *conn.execute(select(OFFICES.c.code)).scalars()}  # the default is always there
    unknown = [code for code in codes if code != ALL_OFFICES and code not in known]
    if unknown:
        raise InvalidInput(
            f"Unknown offices: {', '.join(unknown)}",
            errors=[{"field": "offices", "message": f"unknown office {unknown[0]}"}],
        )
    if not codes and len(known) > 1:
        raise InvalidInput(
            'Say which offices the user works for (or "*" for every office)',
            errors=[{"field": "offices", "message": 'required where there are several offices ("*": every office)'}],
        )
    return codes


class OfficeDirectory:
    """Reads of the offices table for the commands: does an office exist, where is it."""

    def __init__(self, db: Engine) -> None:
        self._reads = read_only(db)
        self._places: dict[str, Place | None] = {}
        self._lock = threading.Lock()

    def place(self, code: str | None) -> Place | None:
        """(region, district) of the office, without the parts it lacks; None: no place (the
        calendar of everywhere)."""
        code = code or DEFAULT_OFFICE
        if code not in self._places:
            with self._reads.connect() as conn:
                row = conn.execute(select(OFFICES.c.region, OFFICES.c.district).where(OFFICES.c.code == code)).first()
            place = tuple(part for part in (row or ()) if part) or None
            with self._lock:
                self._places[code] = place
        return self._places[code]

    def forget(self) -> None:
        with self._lock:
            self._places.clear()


# Run on the driver directly (engine.storage.direct_sql): every case start asks.
_OFFICE_ACTIVE = DirectStatement(select(OFFICES.c.active).where(OFFICES.c.code == bindparam("code")))


def active_office(conn: Connection, code: str | None, field: str) -> str:
    """The code of an existing, open office (None: the default office), else InvalidInput naming ``field``."""
    code = code or DEFAULT_OFFICE
    row = _OFFICE_ACTIVE.first(conn, {"code": code})
    if row is None and code == DEFAULT_OFFICE:
        return code  # the default office is always there (its row, when present, names it)
    if row is None or not row["active"]:
        state = "does not exist" if row is None else "is closed"
        raise InvalidInput(f"Office {code} {state}", errors=[{"field": field, "message": f"office {code} {state}"}])
    return code


def list_offices(conn: Connection, codes: frozenset[str] | None = None) -> list[dict[str, Any]]:
    query = select(OFFICES).order_by(OFFICES.c.code)
    if codes is not None:
        query = query.where(OFFICES.c.code.in_(sorted(codes)))
    return [dict(row._mapping) for row in conn.execute(query)]


def get_office(conn: Connection, code: str) -> dict[str, Any]:
    row = conn.execute(select(OFFICES).where(OFFICES.c.code == code)).first()
    if row is None:
        raise NotFound(f"Office {code} does not exist", office=code)
    return dict(row._mapping)


def save_office(conn: Connection, values: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """Create the office ``values["code"]``, or change what may change of an existing one (its
    place may not: the due dates of its cases were computed by that place's calendar)."""
    code = values.get("code")
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        raise InvalidInput(
            "An office code is 1 to 8 letters or digits",
            errors=[{"field": "code", "message": "must be 1 to 8 letters or digits"}],
        )
    _check(values)
    existing = conn.execute(select(OFFICES).where(OFFICES.c.code == code)).first()
    if existing is None:
        if not values.get("name"):
            raise InvalidInput("An office needs a name", errors=[{"field": "name", "message": "is required"}])
        row = {name: values.get(name) for name in ("name", "region", "district", "address", "phone", "opening_hours")}
        conn.execute(
            insert(OFFICES).values(
                code=code,
                counters=values.get("counters") or 1,
                active=values.get("active", True),
                created_at=now,
                **row,
            )
        )
        return get_office(conn, code)
    for part in ("region", "district"):
        if part in values and values[part] != existing._mapping[part]:
            raise Conflict(
                f"The {part} of office {code} cannot change: its cases' due dates follow its place's calendar",
                office=code,
                field=part,
            )
    changes = {name: values[name] for name in EDITABLE if name in values}
    if changes:
        conn.execute(update(OFFICES).where(OFFICES.c.code == code).values(**changes))
    return get_office(conn, code)


def _check(values: dict[str, Any]) -> None:
    errors = []
    for name, limit in (("name", 200), ("region", 100), ("district", 100), ("address", 300), ("phone", 50)):
        value = values.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            errors.append({"field": name, "message": f"must be text of at most {limit} characters"})
    counters = values.get("counters")
    if counters is not None and (not isinstance(counters, int) or isinstance(counters, bool) or not 0 < counters < 100):
        errors.append({"field": "counters", "message": "must be a whole number from 1 to 99"})
    if "active" in values and not isinstance(values["active"], bool):
        errors.append({"field": "active", "message": "must be true or false"})
    hours = values.get("opening_hours")
    if hours is not None and not _valid_hours(hours):
        errors.append(
            {"field": "opening_hours", "message": 'must map days (mon..sun) to ["HH:MM", "HH:MM"], opening first'}
        )
    if errors:
        raise InvalidInput(f"Invalid office: {errors[0]['field']} {errors[0]['message']}", errors=errors)


def _valid_hours(hours: Any) -> bool:
    if not isinstance(hours, dict):
        return False
    for day, span in hours.items():
        if day not in DAYS or not isinstance(span, list) or len(span) != 2:
            return False
        if not all(isinstance(t, str) and HOUR.match(t) for t in span) or span[0] >= span[1]:
            return False
    return True
