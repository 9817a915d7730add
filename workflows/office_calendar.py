"""The office's calendar as the database holds it: imported DGPA editions and manual overrides.

Every change is kept with who made it and when (editions are superseded, overrides revoked,
nothing is deleted), which lets the calendar answer "which days were working days, as the
office knew it at moment T". Due dates and BPMN timer expressions are computed with the
calendar as known at the engine clock's "now", so replaying a case's history later, with the
clock set to each event's time, computes exactly what the live command computed, even after
the calendar has changed since.

A change then moves the due dates of the open cases it affects, each through an engine command
(``RescheduleCase``), so the case history shows it and verify/replay still hold.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from engine import Conflict, EngineError, InvalidInput, NotFound
from engine import commands as cmd
from engine.storage import CalendarDay, CalendarEdition, CalendarOverride, Case, Office, read_only

from .calendar import OFFICE_ZONE, WorkingCalendar
from .dgpa import parse_dgpa_csv

MAX_REASON = 500


@dataclass(frozen=True)
class _Edition:
    id: int
    year: int
    imported_at: datetime
    days: dict[date, bool]


@dataclass(frozen=True)
class _Override:
    id: int
    day: date
    working: bool
    created_at: datetime
    revoked_at: datetime | None
    region: str | None = None  # None: everywhere
    district: str | None = None  # None: the whole region

    def holds_at(self, place: tuple | None) -> bool:
        """Whether the override holds for offices at ``place`` ((region, district), or None)."""
        if self.region is None:
            return True
        region, district = (tuple(place or ()) + (None, None))[:2]
        return self.region == region and (self.district is None or self.district == district)


class OfficeCalendar:
    """Working days as known at a moment. Unbound (no database) it is the default calendar."""

    def __init__(self, db: Engine | None = None) -> None:
        self._db = db
        self._reads = read_only(db) if db is not None else None
        self._lock = threading.Lock()
        self._revision: tuple | None = None
        self._editions: list[_Edition] = []
        self._overrides: list[_Override] = []
        self._views: dict[tuple, WorkingCalendar] = {}

    def bind(self, db: Engine) -> None:
        self._db = db
        self._reads = read_only(db)
        self._revision = None

    # ------------------------------------------------------------------ reading
    def as_of(self, moment: datetime, place: tuple | None = None) -> WorkingCalendar:
        """Working days as known at ``moment``, for offices at ``place`` ((county/city, district);
        None: overrides of everywhere only)."""
        if self._db is None:
            return self._view((), ())
        editions, overrides = self._load()
        latest: dict[int, _Edition] = {}
        for edition in editions:  # ordered by (imported_at, id): later ones replace earlier
            if edition.imported_at <= moment:
                latest[edition.year] = edition
        active: dict[date, _Override] = {}
        for override in overrides:  # ordered by (created_at, id)
            known = override.created_at <= moment and (override.revoked_at is None or override.revoked_at > moment)
            if known and override.holds_at(place):
                active[override.day] = override
        return self._view(
            tuple(sorted(e.id for e in latest.values())), tuple(sorted(o.id for o in active.values())), latest, active
        )

    def _view(self, edition_ids: tuple, override_ids: tuple, editions=None, overrides=None) -> WorkingCalendar:
        key = (edition_ids, override_ids)
        view = self._views.get(key)
        if view is None:
            official: dict[date, bool] = {}
            for edition in (editions or {}).values():
                official.update(edition.days)
            view = WorkingCalendar({o.day: o.working for o in (overrides or {}).values()}, official)
            if len(self._views) > 64:
                self._views.clear()
            self._views[key] = view
        return view

    def _load(self) -> tuple[list[_Edition], list[_Override]]:
        """Reload when the tables changed (a cheap revision query on every use, so every process
        sees a change as soon as it is committed)."""
        with self._reads.connect() as conn:
            revision = conn.execute(
                select(
                    select(func.max(CalendarEdition.id)).scalar_subquery(),
                    select(func.max(CalendarOverride.id)).scalar_subquery(),
                    select(func.count(CalendarOverride.revoked_at)).scalar_subquery(),
                )
            ).one()
            if revision == self._revision:
                return self._editions, self._overrides
            edition_rows = conn.execute(
                select(CalendarEdition.id, CalendarEdition.year, CalendarEdition.imported_at).order_by(
                    CalendarEdition.imported_at, CalendarEdition.id
                )
            ).all()
            days: dict[int, dict[date, bool]] = {row.id: {} for row in edition_rows}
            for edition_id, day, working in conn.execute(
                select(CalendarDay.edition_id, CalendarDay.day, CalendarDay.working)
            ):
                days[edition_id][day] = working
            override_rows = conn.execute(
                select(
                    CalendarOverride.id,
                    CalendarOverride.day,
                    CalendarOverride.working,
                    CalendarOverride.created_at,
                    CalendarOverride.revoked_at,
                    CalendarOverride.region,
                    CalendarOverride.district,
                ).order_by(CalendarOverride.created_at, CalendarOverride.id)
            ).all()
        with self._lock:
            self._editions = [_Edition(r.id, r.year, r.imported_at, days[r.id]) for r in edition_rows]
            self._overrides = [_Override(*row) for row in override_rows]
            self._views = {}
            self._revision = tuple(revision)
            return self._editions, self._overrides

    # ------------------------------------------------------------------ changing
    def import_dgpa(self, content: bytes, *, source_name: str, actor: str, now: datetime) -> dict[str, Any]:
        """Import one year's DGPA file. A file identical to the year's current edition is not
        imported again; a different one (a revised edition) replaces it from ``now`` on."""
        year = parse_dgpa_csv(content)
        self._require_db()
        with self._db.begin() as conn:
            current = conn.execute(
                select(CalendarEdition.id, CalendarEdition.content_sha256)
                .where(CalendarEdition.year == year.year)
                .order_by(CalendarEdition.imported_at.desc(), CalendarEdition.id.desc())
                .limit(1)
            ).first()
            if current is not None and current.content_sha256 == year.sha256:
                return {
                    "edition_id": current.id,
                    "year": year.year,
                    "created": False,
                    "replaced": None,
                    "changed_days": [],
                }
            previous = self.as_of(now)
            edition_id = conn.execute(
                insert(CalendarEdition)
                .values(
                    year=year.year,
                    source_name=(source_name or "upload")[:300],
                    content_sha256=year.sha256,
                    days_off=year.days_off,
                    imported_at=now,
                    imported_by=actor,
                )
                .returning(CalendarEdition.id)
            ).scalar_one()
            conn.execute(
                insert(CalendarDay),
                [
                    {"edition_id": edition_id, "day": day, "working": working, "note": note}
                    for day, (working, note) in sorted(year.days.items())
                ],
            )
        changed = sorted(day for day, (working, _note) in year.days.items() if previous.is_working_day(day) != working)
        return {
            "edition_id": edition_id,
            "year": year.year,
            "created": True,
            "replaced": current.id if current is not None else None,
            "changed_days": changed,
        }

    def add_override(
        self, day: date, working: bool, reason: str, *, actor: str, now: datetime, place: tuple | None = None
    ) -> dict[str, Any]:
        """Declare ``day`` closed or open, everywhere or at ``place`` only ((county/city,) or
        (county/city, district)): a typhoon closure is announced per county/city, sometimes per
        district."""
        if not isinstance(day, date) or isinstance(day, datetime):
            raise InvalidInput("day must be a date", errors=[{"field": "day", "message": "must be a date"}])
        if not isinstance(working, bool):
            raise InvalidInput(
                "working must be true or false", errors=[{"field": "working", "message": "must be a boolean"}]
            )
        reason = (reason or "").strip()
        if not reason or len(reason) > MAX_REASON:
            raise InvalidInput(
                "A reason is required (at most 500 characters)",
                errors=[{"field": "reason", "message": "must be 1 to 500 characters"}],
            )
        region, district = _place_parts(place)
        self._require_db()
        before = self.as_of(now, place).is_working_day(day)
        with self._db.begin() as conn:
            override_id = conn.execute(
                insert(CalendarOverride)
                .values(
                    day=day,
                    working=working,
                    reason=reason,
                    region=region,
                    district=district,
                    created_at=now,
                    created_by=actor,
                )
                .returning(CalendarOverride.id)
            ).scalar_one()
        return {
            "override_id": override_id,
            "day": day,
            "working": working,
            "place": (region, district) if region else None,
            "changed_days": [day] if before != working else [],
        }

    def revoke_override(self, override_id: int, *, actor: str, now: datetime) -> dict[str, Any]:
        self._require_db()
        with self._db.begin() as conn:
            row = conn.execute(select(CalendarOverride).where(CalendarOverride.id == override_id)).first()
            if row is None:
                raise NotFound(f"Calendar override {override_id} does not exist", override_id=override_id)
            if row.revoked_at is not None:
                raise Conflict(f"Calendar override {override_id} was already revoked", override_id=override_id)
            place = (row.region, row.district) if row.region else None
            before = self.as_of(now, place).is_working_day(row.day)
            conn.execute(
                update(CalendarOverride)
                .where(CalendarOverride.id == override_id)
                .values(revoked_at=now, revoked_by=actor)
            )
        after = self.as_of(now, place).is_working_day(row.day)
        return {
            "override_id": override_id,
            "day": row.day,
            "place": place,
            "changed_days": [row.day] if before != after else [],
        }

    def editions(self) -> list[dict[str, Any]]:
        self._require_db()
        with self._reads.connect() as conn:
            rows = conn.execute(
                select(CalendarEdition).order_by(CalendarEdition.year, CalendarEdition.imported_at)
            ).all()
        return [
            {
                "id": r.id,
                "year": r.year,
                "source_name": r.source_name,
                "sha256": r.content_sha256,
                "days_off": r.days_off,
                "imported_at": r.imported_at,
                "imported_by": r.imported_by,
            }
            for r in rows
        ]

    def overrides(self) -> list[dict[str, Any]]:
        self._require_db()
        with self._reads.connect() as conn:
            rows = conn.execute(select(CalendarOverride).order_by(CalendarOverride.day, CalendarOverride.id)).all()
        return [
            {
                "id": r.id,
                "day": r.day,
                "working": r.working,
                "reason": r.reason,
                "region": r.region,
                "district": r.district,
                "created_at": r.created_at,
                "created_by": r.created_by,
                "revoked_at": r.revoked_at,
                "revoked_by": r.revoked_by,
            }
            for r in rows
        ]

    def _require_db(self) -> None:
        if self._db is None:
            raise EngineError("the calendar is not bound to a database")


def _place_parts(place: tuple | None) -> tuple[str | None, str | None]:
    parts = tuple(place or ())
    if len(parts) > 2 or not all(isinstance(part, str) and 0 < len(part) <= 100 for part in parts):
        raise InvalidInput(
            "A place is a county/city, and optionally a district",
            errors=[{"field": "region", "message": "must be a county/city (and district) of 1 to 100 characters"}],
        )
    return (parts + (None, None))[:2]


def recompute_due_dates(
    engine, changed_days: list[date], *, actor: str, reason: str, place: tuple | None = None
) -> dict[str, int]:
    """Move the due dates of the open cases a calendar change affects, one command per case
    (those of the offices at ``place`` only, for a change of one place).

    A changed day can only move the due date of a case received before it and not yet due
    before it; cases already overdue keep the breach they had.
    """
    if not changed_days:
        return {"checked": 0, "rescheduled": 0}
    first = datetime.combine(min(changed_days), time.min, OFFICE_ZONE)
    last = datetime.combine(max(changed_days) + timedelta(days=1), time.min, OFFICE_ZONE)
    checked = rescheduled = 0
    after = ""
    while True:
        with engine.read() as session:
            rows = session.execute(
                select(Case.id)
                .where(
                    Case.status == "running",
                    Case.due_at.is_not(None),
                    Case.overdue_at.is_(None),
                    Case.due_at >= first,
                    Case.received_at < last,
                    Case.id > after,
                    *_at_place(place),
                )
                .order_by(Case.id)
                .limit(200)
            ).all()
        if not rows:
            break
        for row in rows:
            after = row.id
            checked += 1
            try:
                if engine.handle(cmd.RescheduleCase(row.id, reason, actor=actor)) is not None:
                    rescheduled += 1
            except (Conflict, NotFound):
                continue  # closed meanwhile: nothing to move
    return {"checked": checked, "rescheduled": rescheduled}


def _at_place(place: tuple | None) -> list:
    """Cases worked by the offices at ``place`` (None: every case)."""
    region, district = _place_parts(place)
    if region is None:
        return []
    offices_there = select(Office.code).where(Office.region == region)
    if district is not None:
        offices_there = offices_there.where(Office.district == district)
    return [Case.office.in_(offices_there)]
