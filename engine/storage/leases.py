"""Leases: which process does a job that must be done by exactly one at a time, across machines.

A lease is a row (``name``) naming its holder and until when it holds. A holder renews it
before it runs out; any other process may take it once it has run out, so the loss of the
holder (a machine switched off, a process SIGKILLed) costs at most one lease period. Times are
the database server's clock, so the machines' clocks need not agree. Used by the embedded
scheduler (one scheduling process among all the server processes of every node) and by Celery
beat (one active beat, the others standing by), instead of a lock file that only one machine sees.

``deployment_marks`` holds facts every node checks against its own view at start, such as the
identity of the document store all nodes must share (engine.background.leases).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import String, and_, case, delete, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from engine.storage.models import Base


class Lease(Base):
    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime]  # when this holder took it (kept through renewals)
    expires_at: Mapped[datetime]


class DeploymentMark(Base):
    __tablename__ = "deployment_marks"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(300))
    recorded_at: Mapped[datetime]


LEASES = Lease.__table__
MARKS = DeploymentMark.__table__


def database_now(conn: Connection) -> datetime:
    """The database server's time (SQLite runs on this machine: its clock is this one's)."""
    if conn.dialect.name == "postgresql":
        return conn.execute(text("SELECT clock_timestamp()")).scalar_one().astimezone(timezone.utc)
    return datetime.now(timezone.utc)


def hold(conn: Connection, name: str, holder: str, seconds: float) -> datetime | None:
    """Take or renew the lease for ``seconds`` from now; until when it is held, or None when
    another holder has it and it has not run out."""
    now = database_now(conn)
    until = now + timedelta(seconds=seconds)
    # RETURNING rather than rowcount: drivers do not all count an INSERT ... ON CONFLICT DO NOTHING.
    renewed = conn.execute(
        update(LEASES)
        .where(LEASES.c.name == name, or_(LEASES.c.holder == holder, LEASES.c.expires_at <= now))
        # A takeover (the row named someone else) starts a new holding; a renewal keeps its start.
        .values(
            holder=holder,
            expires_at=until,
            acquired_at=case((LEASES.c.holder == holder, LEASES.c.acquired_at), else_=now),
        )
        .returning(LEASES.c.name)
    ).first()
    if renewed is not None:
        return until
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    created = conn.execute(
        dialect.insert(LEASES)
        .values(name=name, holder=holder, acquired_at=now, expires_at=until)
        .on_conflict_do_nothing(index_elements=[LEASES.c.name])
        .returning(LEASES.c.name)
    ).first()
    return until if created is not None else None


def release(conn: Connection, name: str, holder: str) -> None:
    """Give the lease up at once (a clean stop): the next process need not wait for it to run out."""
    conn.execute(delete(LEASES).where(and_(LEASES.c.name == name, LEASES.c.holder == holder)))


def holder_of(conn: Connection, name: str) -> tuple[str, datetime, datetime] | None:
    """(holder, acquired_at, expires_at) of the lease, if anyone ever held it and it was not released."""
    row = conn.execute(
        select(LEASES.c.holder, LEASES.c.acquired_at, LEASES.c.expires_at).where(LEASES.c.name == name)
    ).first()
    return tuple(row) if row is not None else None


def recorded_mark(conn: Connection, name: str) -> str | None:
    return conn.execute(select(MARKS.c.value).where(MARKS.c.name == name)).scalar_one_or_none()


def mark(conn: Connection, name: str, value: str, now: datetime) -> str:
    """Record ``value`` under ``name`` unless a value is recorded already; the recorded value."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(
        dialect.insert(MARKS)
        .values(name=name, value=value, recorded_at=now)
        .on_conflict_do_nothing(index_elements=[MARKS.c.name])
    )
    return conn.execute(select(MARKS.c.value).where(MARKS.c.name == name)).scalar_one()
