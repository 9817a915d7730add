"""The incidents table: a case whose automatic work failed for a reason its diagram does not handle.

Modelled on Camunda's incidents. When the scheduler fires a case's timers, or a worker records an
agency's answer, and the step fails (a script or condition error, a runaway script, the step
limit, any exception), the command is rolled back and the case gets an incident in a transaction
of its own: a row here (the queryable projection) and an ``incident_raised`` event in the case's
history (the record). The case stays where it was. While the incident is open the failed work is
held: a timer incident sets ``cases.timer_incident_id`` (the case's timers are not scheduled; its
SLA due date still is), a service incident moves its job to the status ``incident`` (no worker takes it). A supervisor
retries it (after a fix, a change of variables, or a move to a new version) or cancels the case.

Statuses: ``open``, ``resolved`` (``resolution``: ``retried``, ``cancelled``, ``case_closed``).
``message`` is masked by the domain's masker before it is stored; ``retry_payload`` keeps what
the retry needs to do the work again (the agency's answer of a service incident).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, bindparam, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from engine.storage.direct_sql import DirectStatement
from engine.storage.models import Base, Case, Definition

# What failed: the scheduler firing timers, or a worker recording an agency's answer.
TIMER, SERVICE_RESULT = "timer", "service_result"
OPEN, RESOLVED = "open", "resolved"
RETRIED, CANCELLED, CASE_CLOSED = "retried", "cancelled", "case_closed"
# Kinds besides the diagram's failure reasons (engine.workflow.failures): an exception that is
# not the diagram's (a bug, an exhausted resource outside any script).
INTERNAL_ERROR = "internal_error"
# A firing that began and never ended: its process was stopped from outside (FiringAttempt).
INTERRUPTED = "interrupted"
MAX_MESSAGE = 2000


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_status_procedure", "status", "procedure_key"),
        Index("ix_incidents_case", "case_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    procedure_key: Mapped[str] = mapped_column(String(200))
    definition_id: Mapped[int] = mapped_column(Integer)  # the version the case was on
    trigger: Mapped[str] = mapped_column(String(40))  # timer | service_result
    # procedure_error | resource_limit | step_limit | internal_error | interrupted
    kind: Mapped[str] = mapped_column(String(40))
    element_id: Mapped[str | None] = mapped_column(String(200))
    element_name: Mapped[str | None] = mapped_column(String(300))
    error_type: Mapped[str | None] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)  # masked
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer)  # failed attempts so far (the first, then retries)
    job_id: Mapped[int | None] = mapped_column(Integer)  # the service job a service incident holds
    retry_payload: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]  # the last failed attempt
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolution: Mapped[str | None] = mapped_column(String(20))
    resolution_reason: Mapped[str | None] = mapped_column(Text)


INCIDENTS = Incident.__table__


class FiringAttempt(Base):
    """A firing of a case's timers that has started and not yet ended, committed before the work.

    One C call of a script (``sorted`` over a huge list) cannot be interrupted by the sandbox: the
    process is killed from outside (a worker timeout, Celery's hard time limit). The firing's own
    transaction is then lost, but this row stays, at the case's version when the firing began;
    the next firing finds it and records an ``interrupted`` incident instead of running the same
    work again, so a restart never brings the failure back into the scheduler.
    """

    __tablename__ = "firing_attempts"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    case_version: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]


FIRING_ATTEMPTS = FiringAttempt.__table__


def firing_started(conn: Connection, case_id: str) -> tuple[int, datetime] | None:
    """The case version and start of a firing of this case that has not ended, if any."""
    row = conn.execute(
        select(FIRING_ATTEMPTS.c.case_version, FIRING_ATTEMPTS.c.started_at).where(FIRING_ATTEMPTS.c.case_id == case_id)
    ).first()
    return (row.case_version, row.started_at) if row is not None else None


def start_firing(conn: Connection, case_id: str, case_version: int, now: datetime) -> None:
    conn.execute(FIRING_ATTEMPTS.delete().where(FIRING_ATTEMPTS.c.case_id == case_id))
    conn.execute(FIRING_ATTEMPTS.insert().values(case_id=case_id, case_version=case_version, started_at=now))


def end_firing(conn: Connection, case_id: str) -> None:
    conn.execute(FIRING_ATTEMPTS.delete().where(FIRING_ATTEMPTS.c.case_id == case_id))


@dataclass(frozen=True)
class IncidentRecord:
    id: int
    case_id: str
    procedure_key: str
    definition_id: int
    trigger: str
    kind: str
    element_id: str | None
    element_name: str | None
    error_type: str | None
    message: str
    status: str
    attempts: int
    job_id: int | None
    retry_payload: dict | None


_FIELDS = list(IncidentRecord.__dataclass_fields__)
_SELECT = select(*[INCIDENTS.c[name] for name in _FIELDS]).where(INCIDENTS.c.id == bindparam("incident_id"))


def get(conn: Connection, incident_id: int, *, for_update: bool = False) -> IncidentRecord | None:
    query = _SELECT.with_for_update() if for_update else _SELECT
    row = conn.execute(query, {"incident_id": incident_id}).first()
    return IncidentRecord(**row._mapping) if row is not None else None


def insert(conn: Connection, now: datetime, **values: Any) -> int:
    values["message"] = (values.get("message") or "")[:MAX_MESSAGE]
    return conn.execute(
        INCIDENTS.insert().returning(INCIDENTS.c.id),
        {**values, "status": OPEN, "attempts": 1, "created_at": now, "updated_at": now},
    ).scalar_one()


def failed_again(conn: Connection, incident_id: int, now: datetime, **values: Any) -> int:
    """Another attempt (a retry) failed: the incident stays open with the new failure. Returns
    the attempts counted so far."""
    values["message"] = (values.get("message") or "")[:MAX_MESSAGE]
    return conn.execute(
        update(INCIDENTS)
        .where(INCIDENTS.c.id == incident_id)
        .values(**values, attempts=INCIDENTS.c.attempts + 1, updated_at=now)
        .returning(INCIDENTS.c.attempts)
    ).scalar_one()


def resolve(conn: Connection, incident_id: int, now: datetime, actor: str | None, resolution: str, reason: str | None):
    conn.execute(
        update(INCIDENTS)
        .where(INCIDENTS.c.id == incident_id, INCIDENTS.c.status == OPEN)
        .values(
            status=RESOLVED,
            resolved_at=now,
            resolved_by=actor,
            resolution=resolution,
            resolution_reason=reason,
            retry_payload=None,
        )
    )


# Run on the driver directly (engine.storage.direct_sql): every case that closes asks.
_OPEN_IDS = DirectStatement(
    select(INCIDENTS.c.id)
    .where(INCIDENTS.c.case_id == bindparam("case_id"), INCIDENTS.c.status == OPEN)
    .order_by(INCIDENTS.c.id)
)


def open_ids(conn: Connection, case_id: str) -> list[int]:
    return [row["id"] for row in _OPEN_IDS.all(conn, {"case_id": case_id})]


def open_for_job(conn: Connection, job_id: int) -> IncidentRecord | None:
    row = conn.execute(
        select(*[INCIDENTS.c[name] for name in _FIELDS]).where(INCIDENTS.c.job_id == job_id, INCIDENTS.c.status == OPEN)
    ).first()
    return IncidentRecord(**row._mapping) if row is not None else None


# ---------------------------------------------------------------------------------------------
# Reads outside commands (API, metrics, health)
# ---------------------------------------------------------------------------------------------
_LISTED = [
    INCIDENTS.c[name]
    for name in (
        "id",
        "case_id",
        "procedure_key",
        "trigger",
        "kind",
        "element_id",
        "element_name",
        "error_type",
        "message",
        "status",
        "attempts",
        "created_at",
        "updated_at",
        "resolved_at",
        "resolved_by",
        "resolution",
        "resolution_reason",
    )
]


def page(
    conn: Connection,
    *,
    status: str | None = None,
    procedure: str | None = None,
    element: str | None = None,
    kind: str | None = None,
    case_id: str | None = None,
    offices: frozenset[str] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Incidents, latest failure first, with their case's number and version: (rows, total);
    of the cases of ``offices`` only (None: every office)."""
    conditions = [
        column == value
        for column, value in (
            (INCIDENTS.c.status, status),
            (INCIDENTS.c.procedure_key, procedure),
            (INCIDENTS.c.element_id, element),
            (INCIDENTS.c.kind, kind),
            (INCIDENTS.c.case_id, case_id),
        )
        if value is not None
    ]
    cases, definitions = Case.__table__, Definition.__table__
    if offices is not None:
        conditions.append(INCIDENTS.c.case_id.in_(select(cases.c.id).where(cases.c.office.in_(sorted(offices)))))
    query = (
        select(*_LISTED, cases.c.number.label("case_number"), definitions.c.version)
        .join_from(INCIDENTS, cases, cases.c.id == INCIDENTS.c.case_id)
        .join(definitions, definitions.c.id == INCIDENTS.c.definition_id)
        .where(*conditions)
        .order_by(INCIDENTS.c.updated_at.desc(), INCIDENTS.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    total = conn.execute(select(func.count()).select_from(INCIDENTS).where(*conditions)).scalar_one()
    return [dict(row._mapping) for row in conn.execute(query)], total


def described(conn: Connection, incident_id: int) -> dict[str, Any] | None:
    """One incident as ``page`` lists it."""
    cases, definitions = Case.__table__, Definition.__table__
    row = conn.execute(
        select(*_LISTED, cases.c.number.label("case_number"), definitions.c.version)
        .join_from(INCIDENTS, cases, cases.c.id == INCIDENTS.c.case_id)
        .join(definitions, definitions.c.id == INCIDENTS.c.definition_id)
        .where(INCIDENTS.c.id == incident_id)
    ).first()
    return dict(row._mapping) if row is not None else None


def open_counts(conn: Connection) -> list[tuple[str, str, int]]:
    """(procedure, kind, open incidents) for every pair that has some."""
    return [
        (row.procedure_key, row.kind, row.count)
        for row in conn.execute(
            select(INCIDENTS.c.procedure_key, INCIDENTS.c.kind, func.count().label("count"))
            .where(INCIDENTS.c.status == OPEN)
            .group_by(INCIDENTS.c.procedure_key, INCIDENTS.c.kind)
        )
    ]
