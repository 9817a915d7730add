"""The heartbeats table: the shared record every process reads the deployment's health from.

Each long-running process (server worker, Celery worker) writes its own row every few seconds
(``process:<host>:<pid>``: its role, and what it knows that others cannot see, such as the state
of its agency circuits and of its database connection); the scheduling process writes the
``scheduler`` row at each pass. ``/api/health`` reads them all, so whichever process answers,
the answer is about the whole deployment. Times are the wall clock (``beat_at``), not the
engine's clock: they say when a process was last alive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Index, String, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from engine.storage.models import Base

SCHEDULER = "scheduler"
PROCESS_PREFIX = "process:"


class Heartbeat(Base):
    __tablename__ = "heartbeats"
    __table_args__ = (Index("ix_heartbeats_beat_at", "beat_at"),)

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))  # host:pid of the process that wrote it
    role: Mapped[str] = mapped_column(String(40))  # server | celery-worker | embedded | celery
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime]
    details: Mapped[dict] = mapped_column(JSON, default=dict)


HEARTBEATS = Heartbeat.__table__


@dataclass(frozen=True)
class HeartbeatRecord:
    name: str
    holder: str
    role: str
    started_at: datetime
    beat_at: datetime
    details: dict[str, Any]


def beat(
    conn: Connection, name: str, holder: str, role: str, now: datetime, details: dict[str, Any], started_at: datetime
) -> None:
    """Write (insert or replace) one heartbeat row."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    values = {
        "name": name,
        "holder": holder,
        "role": role,
        "started_at": started_at,
        "beat_at": now,
        "details": details,
    }
    statement = dialect.insert(HEARTBEATS).values(values)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[HEARTBEATS.c.name],
            set_={key: statement.excluded[key] for key in ("holder", "role", "started_at", "beat_at", "details")},
        )
    )


def recent(conn: Connection, since: datetime) -> list[HeartbeatRecord]:
    rows = conn.execute(select(HEARTBEATS).where(HEARTBEATS.c.beat_at >= since).order_by(HEARTBEATS.c.name))
    return [HeartbeatRecord(**row._mapping) for row in rows]


def forget_older_than(conn: Connection, moment: datetime) -> None:
    """Rows of processes gone long ago (restarted servers leave theirs behind)."""
    conn.execute(delete(HEARTBEATS).where(HEARTBEATS.c.beat_at < moment))


KEEP = timedelta(days=1)
