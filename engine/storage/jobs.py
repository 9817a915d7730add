"""The jobs table: one row per service task waiting for a worker (``service_jobs``).

The command that leaves a service task waiting inserts its job in the same transaction, so a
job exists exactly when a task waits. A worker claims a job like the outbox claims a message:
one conditional UPDATE moves it to ``running`` with a lease (``next_attempt_at`` in the future)
and counts the attempt; of several workers only one wins. The call itself happens outside any
transaction. A worker that dies mid-call leaves the lease to expire; the job is then claimed
again. The answer is recorded by a command that also marks the job ``done`` (or ``failed``)
in its transaction, only if the job is still open: an answer is recorded once.

Statuses: ``pending`` (waits for ``next_attempt_at``), ``running`` (claimed until
``next_attempt_at``), ``done``, ``failed`` (the BPMN error was thrown), ``cancelled`` (the task
stopped waiting without an answer: the case was cancelled, a boundary timer interrupted it),
``incident`` (the case failed on the answer; held until the incident is retried).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, bindparam, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from engine.services import DEFAULT_BACKOFF_BASE, DEFAULT_RETRIES, idempotency_key
from engine.storage.models import Base
from engine.workflow.service_tasks import WaitingServiceTask

OPEN = ("pending", "running")
# Held by an incident (engine.storage.incidents): the answer came but the case failed on it; no
# worker takes the job until the incident is retried (which applies the kept answer) or resolved.
HELD = "incident"


class ServiceJob(Base):
    __tablename__ = "service_jobs"
    __table_args__ = (Index("ix_service_jobs_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36), unique=True)  # one job per waiting task, ever
    element_id: Mapped[str | None] = mapped_column(String(200))
    operation: Mapped[str] = mapped_column(String(200))
    params: Mapped[dict] = mapped_column(JSON)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    backoff_base: Mapped[float] = mapped_column(Float)
    next_attempt_at: Mapped[datetime]
    # Each failed attempt: {"attempt", "started_at", "failed_at", "code", "message"}; recorded
    # with the final answer as part of the evidence.
    attempt_log: Mapped[list] = mapped_column(JSON, default=list)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


JOBS = ServiceJob.__table__


@dataclass(frozen=True)
class JobRecord:
    id: int
    case_id: str
    task_id: str
    element_id: str | None
    operation: str
    params: dict[str, Any]
    idempotency_key: str
    status: str
    attempts: int
    max_attempts: int
    backoff_base: float
    next_attempt_at: datetime
    attempt_log: list


_FIELDS = [name for name in JobRecord.__dataclass_fields__]
_SELECT_JOB = select(*[JOBS.c[name] for name in _FIELDS]).where(JOBS.c.id == bindparam("job_id"))
_DUE = (
    select(JOBS.c.id)
    .where(JOBS.c.status.in_(OPEN), JOBS.c.next_attempt_at <= bindparam("now"))
    .order_by(JOBS.c.next_attempt_at)
    .limit(bindparam("limit"))
)
_NEXT_DUE = select(func.min(JOBS.c.next_attempt_at)).where(JOBS.c.status.in_(OPEN))


def queue(conn: Connection, case_id: str, tasks: list[WaitingServiceTask], now: datetime) -> None:
    """Insert a job for each newly waiting service task (in the command's transaction)."""
    if not tasks:
        return
    conn.execute(
        JOBS.insert(),
        [
            {
                "case_id": case_id,
                "task_id": task.task_id,
                "element_id": task.element_id,
                "operation": task.operation,
                "params": task.params,
                "idempotency_key": idempotency_key(case_id, task.task_id, task.operation, task.params),
                "status": "pending",
                "attempts": 0,
                "max_attempts": 1 + (DEFAULT_RETRIES if task.retries is None else max(0, task.retries)),
                "backoff_base": DEFAULT_BACKOFF_BASE if task.backoff_base is None else float(task.backoff_base),
                "next_attempt_at": now,
                "attempt_log": [],
                "created_at": now,
            }
            for task in tasks
        ],
    )


def cancel(conn: Connection, task_ids: list[str], now: datetime) -> None:
    """The tasks stopped waiting without an answer: their open jobs are not performed."""
    if task_ids:
        conn.execute(
            update(JOBS)
            .where(JOBS.c.task_id.in_(task_ids), JOBS.c.status.in_((*OPEN, HELD)))
            .values(status="cancelled", finished_at=now)
        )


def due_ids(conn: Connection, now: datetime, limit: int) -> list[int]:
    """Pending jobs whose time has come and running ones whose worker's lease ran out."""
    return list(conn.execute(_DUE, {"now": now, "limit": limit}).scalars())


def next_due_at(conn: Connection) -> datetime | None:
    value = conn.execute(_NEXT_DUE).scalar()
    if value is not None and value.tzinfo is None:  # SQLite's aggregate skips the column type
        from datetime import timezone

        value = value.replace(tzinfo=timezone.utc)
    return value


def get(conn: Connection, job_id: int, *, for_update: bool = False) -> JobRecord | None:
    query = _SELECT_JOB.with_for_update() if for_update else _SELECT_JOB
    row = conn.execute(query, {"job_id": job_id}).first()
    return JobRecord(**row._mapping) if row is not None else None


def claim(conn: Connection, job_id: int, now: datetime, lease: timedelta) -> JobRecord | None:
    """Take the job for one attempt (None: not due, or another worker holds it)."""
    claimed = conn.execute(
        update(JOBS)
        .where(JOBS.c.id == job_id, JOBS.c.status.in_(OPEN), JOBS.c.next_attempt_at <= now)
        .values(status="running", attempts=JOBS.c.attempts + 1, next_attempt_at=now + lease)
    ).rowcount
    return get(conn, job_id) if claimed == 1 else None


def retry_later(conn: Connection, job: JobRecord, when: datetime, failure: dict[str, Any]) -> bool:
    """Put the job back for another attempt at ``when``; False if it is no longer this attempt's."""
    return (
        conn.execute(
            update(JOBS)
            .where(JOBS.c.id == job.id, JOBS.c.status == "running", JOBS.c.attempts == job.attempts)
            .values(
                status="pending",
                next_attempt_at=when,
                attempt_log=[*job.attempt_log, failure],
                last_error=f"{failure['code']}: {failure['message']}"[:1000],
            )
        ).rowcount
        == 1
    )


def finish(conn: Connection, job_id: int, status: str, now: datetime, error: str | None = None) -> None:
    conn.execute(
        update(JOBS)
        .where(JOBS.c.id == job_id)
        .values(status=status, finished_at=now, last_error=error[:1000] if error else None)
    )


def hold(conn: Connection, job_id: int, reason: str) -> None:
    """The case failed on the job's answer: no worker takes the job while its incident is open."""
    conn.execute(update(JOBS).where(JOBS.c.id == job_id).values(status=HELD, last_error=reason[:1000]))
