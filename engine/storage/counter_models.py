"""Tables of the counter queue (號碼牌): the tickets visitors draw in the waiting room and the
cases each produced at the counter. Generic: the service kinds are the domain pack's
(``engine.registries.QueueServices``); the engine numbers, calls and times the tickets.

Imported by the storage package, so that these tables are part of the schema Alembic compares
against.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.storage.models import Base

TICKET_STATUSES = ("waiting", "called", "serving", "done", "no_show")


class QueueTicket(Base):
    """One visitor's ticket for one kind of service: issued, called to a counter (waiting time),
    served there (service time), or not there when called (a no-show)."""

    __tablename__ = "queue_tickets"
    __table_args__ = (
        UniqueConstraint("day", "service", "seq", name="uq_queue_tickets_day_service_seq"),
        Index("ix_queue_tickets_status_issued", "status", "issued_at"),
        Index("ix_queue_tickets_issued_at", "issued_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)  # the office-local day of issue: numbers restart each day
    service: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(12))  # as shown and called: prefix + seq, e.g. A012
    status: Mapped[str] = mapped_column(String(20))  # TICKET_STATUSES
    issued_at: Mapped[datetime]
    issued_by: Mapped[str | None] = mapped_column(String(200))
    called_at: Mapped[datetime | None]  # the first call: the waiting ends here
    calls: Mapped[int] = mapped_column(Integer, default=0)
    counter: Mapped[str | None] = mapped_column(String(20))
    started_at: Mapped[datetime | None]  # the visitor at the counter
    finished_at: Mapped[datetime | None]
    served_by: Mapped[str | None] = mapped_column(String(200))


class QueueTicketCase(Base):
    """A case a ticket's visit produced (one visit may start several)."""

    __tablename__ = "queue_ticket_cases"
    __table_args__ = (Index("ix_queue_ticket_cases_case", "case_id"),)

    ticket_id: Mapped[int] = mapped_column(ForeignKey("queue_tickets.id"), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    linked_at: Mapped[datetime]
    linked_by: Mapped[str | None] = mapped_column(String(200))
