"""Tables of places: the offices (organisational units) cases are received and worked at, and the
working-day calendar, whose closures may hold for one place only.

- ``offices``: one row per office. ``region`` and ``district`` place it (for a household
  registration office: its county/city and district); an office's place never changes once it
  is created (cases' due dates were computed by its calendar), so processes may cache it.
- ``calendar_editions`` / ``calendar_days`` / ``calendar_overrides``: the working-day calendar as
  imported and overridden (generic: which days are working days, where, since when, by whom).

Imported by the storage package, so that these tables are part of the schema Alembic compares
against.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from engine.storage.models import Base

# The office every case and user of an install that never named one belongs to (created by the
# schema migration that introduced offices): a single-office install keeps working unchanged, and
# its case numbers carry no office code, as before.
DEFAULT_OFFICE = "main"


class Office(Base):
    """An organisational unit that receives and works cases: its code shows in its case numbers."""

    __tablename__ = "offices"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(100))  # county/city
    district: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(50))
    counters: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # {"mon": ["08:00", "17:00"], ...}: days absent are closed.
    opening_hours: Mapped[dict | None] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime]


class CalendarEdition(Base):
    """One imported edition of an official office calendar (DGPA 行政機關辦公日曆表) for a year.

    A revised edition for the same year replaces the earlier one from its import time on; the
    earlier one stays for the record (and for replaying what cases computed before).
    """

    __tablename__ = "calendar_editions"
    __table_args__ = (Index("ix_calendar_editions_year", "year", "imported_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    source_name: Mapped[str] = mapped_column(String(300))
    content_sha256: Mapped[str] = mapped_column(String(64))
    days_off: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime]
    imported_by: Mapped[str] = mapped_column(String(200))


class CalendarDay(Base):
    __tablename__ = "calendar_days"

    edition_id: Mapped[int] = mapped_column(ForeignKey("calendar_editions.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(200))


class CalendarOverride(Base):
    """A manual change of one day (a typhoon closure, an extra working day), audited: it is
    never deleted, only revoked, and both carry who and when. ``region`` (and ``district``) limit
    it to the offices of that place; None: everywhere."""

    __tablename__ = "calendar_overrides"
    __table_args__ = (Index("ix_calendar_overrides_day", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    working: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(String(100))
    district: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(200))
