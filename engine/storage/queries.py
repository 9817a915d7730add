"""Read side: cases, inbox, history. Plain reads in a snapshot, no workflow loading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import case as when
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine.access import CaseAccess
from engine.errors import NotFound
from engine.events import SERVICE_RESULT_RECORDED
from engine.storage.models import (
    Case,
    CaseDocument,
    CaseEvent,
    Definition,
    DefinitionFile,
    PublicLookupFailure,
    Rating,
    Task,
)
from engine.storage.visibility import reachable

ON_TIME, DUE_TODAY, OVERDUE = "on_time", "due_today", "overdue"
CLOSED_ON_TIME, CLOSED_LATE, NO_DEADLINE = "closed_on_time", "closed_late", "no_deadline"


@dataclass(frozen=True)
class TaskFilter:
    groups: Sequence[str] | None = None  # lanes the caller may work; None = all
    assignee: str | None = None
    procedure: str | None = None
    overdue_at: datetime | None = None  # only tasks due before this moment
    statuses: Sequence[str] = ("ready", "claimed")
    limit: int = 50
    offset: int = 0


def list_tasks(session: Session, task_filter: TaskFilter) -> tuple[list[tuple[Task, str, str]], int]:
    """Inbox rows with their case number and procedure, soonest due first. A task is due when its
    own SLA timer says, or else when its case is (most steps have no timer of their own)."""
    due = func.coalesce(Task.due_at, Case.due_at)
    query = (
        select(Task, Case.number, Case.procedure_key)
        .join(Case, Case.id == Task.case_id)
        .where(Task.status.in_(task_filter.statuses))
    )
    if task_filter.groups is not None:
        query = query.where(Task.lane.in_(list(task_filter.groups)))
    if task_filter.assignee is not None:
        query = query.where(Task.assignee == task_filter.assignee)
    if task_filter.procedure is not None:
        query = query.where(Case.procedure_key == task_filter.procedure)
    if task_filter.overdue_at is not None:
        query = query.where(due < task_filter.overdue_at)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(
        query.order_by(due.is_(None), due, Task.created_at, Task.id).limit(task_filter.limit).offset(task_filter.offset)
    ).all()
    return [tuple(row) for row in rows], total


def get_task(session: Session, task_id: str) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"Task {task_id} does not exist", task_id=task_id)
    return task


def get_case(session: Session, case_id: str, access: CaseAccess | None = None) -> Case:
    """The case, if ``access`` reaches it (None: the system, which reaches every case). A case out
    of reach is answered as one that does not exist: its existence is not the caller's business."""
    if access is None or access.all_cases:
        case = session.get(Case, case_id)
    else:
        case = session.scalar(select(Case).where(Case.id == case_id, reachable(access)))
    if case is None:
        raise NotFound(f"Case {case_id} does not exist", case_id=case_id)
    return case


def cases_by_id(session: Session, case_ids: set[str]) -> dict[str, Case]:
    """The cases with these ids, by id (one query)."""
    if not case_ids:
        return {}
    return {case.id: case for case in session.scalars(select(Case).where(Case.id.in_(case_ids)))}


def get_case_by_number(session: Session, number: str) -> Case:
    case = session.scalar(select(Case).where(Case.number == number))
    if case is None:
        raise NotFound(f"Case {number} does not exist", number=number)
    return case


def case_events(session: Session, case_id: str) -> list[CaseEvent]:
    return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)))


def case_tasks(session: Session, case_id: str) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.case_id == case_id).order_by(Task.created_at, Task.id)))


def list_definitions(session: Session) -> list[Definition]:
    return list(session.scalars(select(Definition).order_by(Definition.process_key, Definition.version)))


def definition_versions(session: Session, process_key: str) -> list[Definition]:
    rows = list(
        session.scalars(select(Definition).where(Definition.process_key == process_key).order_by(Definition.version))
    )
    if not rows:
        raise NotFound(f"No procedure '{process_key}' is deployed", procedure=process_key)
    return rows


def latest_version(session: Session, process_key: str) -> Definition | None:
    """The procedure's newest version (drafts included), or None when it has none."""
    return session.scalars(
        select(Definition).where(Definition.process_key == process_key).order_by(Definition.version.desc()).limit(1)
    ).first()


def case_ids(session: Session, after: str | None, limit: int) -> list[str]:
    query = select(Case.id).order_by(Case.id).limit(limit)
    if after is not None:
        query = query.where(Case.id > after)
    return list(session.scalars(query))


@dataclass(frozen=True)
class CaseFilter:
    procedure: str | None = None
    status: str | None = None
    overdue_at: datetime | None = None  # only open cases due before this moment
    received_from: datetime | None = None
    received_to: datetime | None = None
    limit: int = 50
    offset: int = 0
    access: CaseAccess | None = None  # only the cases this caller reaches (None: all)


def list_cases(session: Session, case_filter: CaseFilter) -> tuple[list[Case], int]:
    query = select(Case).where(reachable(case_filter.access))
    if case_filter.procedure is not None:
        query = query.where(Case.procedure_key == case_filter.procedure)
    if case_filter.status is not None:
        query = query.where(Case.status == case_filter.status)
    if case_filter.overdue_at is not None:
        query = query.where(Case.status == "running", Case.due_at < case_filter.overdue_at)
    if case_filter.received_from is not None:
        query = query.where(Case.received_at >= case_filter.received_from)
    if case_filter.received_to is not None:
        query = query.where(Case.received_at < case_filter.received_to)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.order_by(Case.received_at.desc(), Case.id).limit(case_filter.limit).offset(case_filter.offset)
    ).all()
    return list(rows), total


def sla_state(case: Case, now: datetime, zone: ZoneInfo) -> str:
    """Where a case stands against its due date, as a clerk reads it at a glance."""
    if case.due_at is None:
        return NO_DEADLINE
    if case.closed_at is not None:
        return CLOSED_ON_TIME if case.closed_at <= case.due_at else CLOSED_LATE
    if now > case.due_at:
        return OVERDUE
    if now.astimezone(zone).date() == case.due_at.astimezone(zone).date():
        return DUE_TODAY
    return ON_TIME


def service_evidence(session: Session, case_id: str) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id, CaseEvent.type == SERVICE_RESULT_RECORDED)
            .order_by(CaseEvent.seq)
        )
    )


def rating_for(session: Session, case_id: str) -> Rating | None:
    return session.get(Rating, case_id)


def definition_version(session: Session, process_key: str, version: int) -> Definition:
    row = session.scalar(select(Definition).where(Definition.process_key == process_key, Definition.version == version))
    if row is None:
        raise NotFound(f"Procedure '{process_key}' has no version {version}", procedure=process_key, version=version)
    return row


def definition_files(session: Session, definition_id: int) -> dict[str, bytes]:

    return {
        row.name: row.content
        for row in session.scalars(select(DefinitionFile).where(DefinitionFile.definition_id == definition_id))
    }


def recent_lookup_failures(session: Session, client: str, since: datetime, number: str) -> tuple[int, int]:
    """Wrong access codes ``client`` gave since ``since``: (for case ``number``, for any case)."""
    for_number = func.coalesce(func.sum(when((PublicLookupFailure.case_number == number, 1), else_=0)), 0)
    row = session.execute(
        select(for_number, func.count())
        .select_from(PublicLookupFailure)
        .where(PublicLookupFailure.client == client, PublicLookupFailure.failed_at >= since)
    ).one()
    return int(row[0]), int(row[1])


def record_lookup_failure(session: Session, number: str, client: str, now: datetime, keep: timedelta) -> None:
    session.add(PublicLookupFailure(case_number=number, client=client, failed_at=now))
    session.execute(delete(PublicLookupFailure).where(PublicLookupFailure.failed_at < now - keep))


def case_documents(session: Session, case_id: str) -> list[CaseDocument]:
    """The files attached to the case, in the order they came."""
    query = select(CaseDocument).where(CaseDocument.case_id == case_id)
    return list(
        session.scalars(
            query.order_by(CaseDocument.attached_at, CaseDocument.kind, CaseDocument.file_name, CaseDocument.id)
        )
    )


def case_document(session: Session, case_id: str, document_id: str) -> CaseDocument:
    row = session.get(CaseDocument, document_id)
    if row is None or row.case_id != case_id:
        raise NotFound("The case has no such document", document_id=document_id)
    return row
