"""Read side: cases, inbox, history. Plain reads in a snapshot, no workflow loading."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import case as when
from sqlalchemy import delete, func, literal, or_, select, text, tuple_
from sqlalchemy.orm import Session, defer

from engine.access import CaseAccess
from engine.errors import InvalidInput, NotFound
from engine.events import SERVICE_RESULT_RECORDED
from engine.storage.models import (
    OPEN_TASK_SQL,
    Case,
    CaseDocument,
    CaseEvent,
    Definition,
    DefinitionFile,
    Notification,
    PublicLookupFailure,
    Rating,
    Task,
)
from engine.storage.visibility import reachable

OPEN_TASK_STATUSES = ("ready", "claimed")
ON_TIME, DUE_TODAY, OVERDUE, PAUSED = "on_time", "due_today", "overdue", "paused"
SERVED_ON_TIME, SERVED_LATE = "served_on_time", "served_late"
CLOSED_ON_TIME, CLOSED_LATE, NO_DEADLINE = "closed_on_time", "closed_late", "no_deadline"


# Lists count their matches up to this many: counting all of a large result would cost more than
# finding the page (a count above it is shown as "more than").
COUNT_CAP = 10_000
# Up to this many lanes, the inbox reads each lane's first tasks in order from its index and
# merges them; more lanes are read in one query, which sorts.
MERGED_LANES = 8


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, the number of matches (exact when ``total_exact``, else more
    than ``total``), and where the next page starts (``after`` of the next filter), None at the end."""

    rows: list
    total: int
    total_exact: bool
    next_after: tuple | None


@dataclass(frozen=True)
class TaskFilter:
    groups: Sequence[str] | None = None  # lanes the caller may work; None = all
    offices: Sequence[str] | None = None  # offices whose lanes they work (lanes are per office); None = all
    assignee: str | None = None
    officer: str | None = None  # only tasks of cases this user is responsible for
    procedure: str | None = None
    overdue_at: datetime | None = None  # only tasks due before this moment
    statuses: Sequence[str] = ("ready", "claimed")
    limit: int = 50
    offset: int = 0
    after: tuple | None = None  # the page starts after this task: (effective_due_at, created_at, id)


# The open tasks, said as the inbox's partial indexes say it (engine/storage/models.py).
_OPEN_TASK = text("tasks." + OPEN_TASK_SQL)
_TASK_ORDER = (Task.effective_due_at, Task.created_at, Task.id)


class CaseClock(NamedTuple):
    """What ``sla_state`` reads of a case."""

    due_at: datetime | None
    served_at: datetime | None
    closed_at: datetime | None
    overdue_at: datetime | None
    sla_paused_at: datetime | None


class InboxRow(NamedTuple):
    """A task of the inbox (its row: the columns of ``tasks`` as attributes) with what the inbox
    shows of its case."""

    task: Any
    case_number: str
    procedure: str
    case: CaseClock


_CASE_CLOCK_COLUMNS = [getattr(Case, name).label(f"case_{name}") for name in CaseClock._fields]
_INBOX_COLUMNS = (*Task.__table__.c, Case.number, Case.procedure_key, *_CASE_CLOCK_COLUMNS)


def list_tasks(session: Session, task_filter: TaskFilter) -> Page:
    """Inbox rows (InboxRow), soonest due first: by the task's own due date, else its case's
    (most steps have no timer of their own), tasks without either last."""
    conditions = [
        _OPEN_TASK if set(task_filter.statuses) == set(OPEN_TASK_STATUSES) else Task.status.in_(task_filter.statuses)
    ]
    if task_filter.assignee is not None:
        conditions.append(Task.assignee == task_filter.assignee)
    if task_filter.officer is not None:
        conditions.append(Case.officer == task_filter.officer)
    if task_filter.overdue_at is not None:
        conditions.append(Task.effective_due_at < task_filter.overdue_at)
    if task_filter.procedure is not None:
        conditions.append(Case.procedure_key == task_filter.procedure)
    lanes = _lanes(task_filter)
    wanted = task_filter.offset + task_filter.limit + 1  # one more: is there a next page?

    def first_tasks(*lane_conditions) -> list:
        query = (
            select(*_INBOX_COLUMNS)
            .join_from(Task, Case, Case.id == Task.case_id)
            .where(*conditions, *lane_conditions, *_after(_TASK_ORDER, task_filter.after, ascending=True))
            .order_by(*_TASK_ORDER)
            .limit(wanted)
        )
        return [
            InboxRow(row, row.number, row.procedure_key, CaseClock(*row[-len(CaseClock._fields) :]))
            for row in session.connection().execute(query)
        ]

    # Each lane (at each office) read from its index in order and merged; counted the same way:
    # for "lane IN (...)" SQLite may take the index on status instead, and count every open task.
    if lanes is None or len(lanes) > MERGED_LANES:
        lane_conditions = [_in_lanes(task_filter)]
    else:
        lane_conditions = [_at_lane(lane) for lane in lanes]
    if len(lane_conditions) == 1:
        rows = first_tasks(*lane_conditions[0])
    else:
        rows = list(heapq.merge(*(first_tasks(*c) for c in lane_conditions), key=_task_position))[:wanted]
    counted = [select(Task.id).where(*conditions, *condition) for condition in lane_conditions]
    if task_filter.procedure is not None or task_filter.officer is not None:
        counted = [query.join(Case, Case.id == Task.case_id) for query in counted]
    return page_of(session, rows, counted, task_filter.offset, task_filter.limit, _task_position)


def _lanes(task_filter: TaskFilter) -> list[tuple] | None:
    """(office or None, lane) pairs the caller works, each read on its index; None: every lane."""
    if task_filter.groups is None:
        return None if task_filter.offices is None else [(office, None) for office in sorted(set(task_filter.offices))]
    offices = sorted(set(task_filter.offices)) if task_filter.offices is not None else [None]
    return [(office, lane) for office in offices for lane in sorted(set(task_filter.groups))]


def _at_lane(pair: tuple) -> list:
    office, lane = pair
    return [
        *([Task.office == office] if office is not None else []),
        *([Task.lane == lane] if lane is not None else []),
    ]


def _in_lanes(task_filter: TaskFilter) -> list:
    conditions = []
    if task_filter.offices is not None:
        conditions.append(Task.office.in_(sorted(set(task_filter.offices))))
    if task_filter.groups is not None:
        conditions.append(Task.lane.in_(sorted(set(task_filter.groups))))
    return conditions


def _task_position(row: InboxRow) -> tuple:
    task = row.task
    return task.effective_due_at, task.created_at, task.id


def _after(columns, after: tuple | None, *, ascending: bool) -> list:
    """The condition that a row comes after ``after`` in the order of ``columns``."""
    if after is None:
        return []
    if len(after) != len(columns):
        raise InvalidInput(
            "The page cursor does not fit this list", errors=[{"field": "after", "message": "unknown cursor"}]
        )
    values = tuple_(*(literal(value, column.type) for column, value in zip(columns, after)))
    return [tuple_(*columns) > values if ascending else tuple_(*columns) < values]


def page_of(session: Session, rows: list, counted: list | None, offset: int, limit: int, position) -> Page:
    """The page from the first ``offset + limit + 1`` rows; the matches counted up to COUNT_CAP
    (``counted``: the queries of their parts, which do not overlap), or not at all (None): then
    the total is what the page shows."""
    more = len(rows) > offset + limit
    page_rows = rows[offset : offset + limit]
    after = position(page_rows[-1]) if more and page_rows else None
    if counted is None:
        return Page(page_rows, offset + len(page_rows) + more, not more, after)
    connection = session.connection()
    found = sum(
        connection.execute(select(func.count()).select_from(query.limit(COUNT_CAP + 1).subquery())).scalar_one()
        for query in counted
    )
    return Page(page_rows, min(found, COUNT_CAP), found <= COUNT_CAP, after)


def get_task(session: Session, task_id: str) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"Task {task_id} does not exist", task_id=task_id)
    return task


def get_case(session: Session, case_id: str, access: CaseAccess | None = None) -> Case:
    """The case, if ``access`` reaches it (None: the system, which reaches every case). A case out
    of reach is answered as one that does not exist: its existence is not the caller's business."""
    if access is None or access.every_case:
        case = session.get(Case, case_id)
    else:
        case = session.scalar(select(Case).where(Case.id == case_id, reachable(access)))
    if case is None:
        raise NotFound(f"Case {case_id} does not exist", case_id=case_id)
    return case


def cases_by_id(session: Session, case_ids: set[str]) -> dict[str, Case]:
    """The cases with these ids, by id (one query), without their state."""
    if not case_ids:
        return {}
    query = select(Case).options(defer(Case.state, raiseload=True)).where(Case.id.in_(case_ids))
    return {case.id: case for case in session.scalars(query)}


def case_rating(session: Session, case_id: str, access: CaseAccess | None = None) -> Rating | None:
    """The applicant's rating of a case the caller reaches (NotFound otherwise), or None."""
    case = get_case(session, case_id, access)
    return session.get(Rating, case.id)


def list_notifications(
    session: Session,
    *,
    case_id: str | None = None,
    status: str | None = None,
    limit: int = 100,
    access: CaseAccess | None = None,
) -> list[Notification]:
    """The outbox, newest first: messages about the cases ``access`` reaches (None: all) and
    those about no case. A supervisor does not read what was sent about another group's cases."""
    query = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if access is not None and not access.every_case:
        reached = select(Case.id).where(reachable(access))
        query = query.where(or_(Notification.case_id.is_(None), Notification.case_id.in_(reached)))
    if case_id:
        query = query.where(Notification.case_id == case_id)
    if status:
        query = query.where(Notification.status == status)
    return list(session.scalars(query))


def get_case_by_number(session: Session, number: str, access: CaseAccess | None = None) -> Case:
    """The case with this number, if ``access`` reaches it (as ``get_case``)."""
    query = select(Case).where(Case.number == number)
    if access is not None and not access.every_case:
        query = query.where(reachable(access))
    case = session.scalar(query)
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


def count_cases_up_to(session: Session, cap: int) -> int:
    """How many cases there are, counted up to ``cap``."""
    return session.scalar(select(func.count()).select_from(select(Case.id).limit(cap).subquery()))


def case_ids(session: Session, after: str | None, limit: int) -> list[str]:
    query = select(Case.id).order_by(Case.id).limit(limit)
    if after is not None:
        query = query.where(Case.id > after)
    return list(session.scalars(query))


def sla_state(case: Case | CaseClock, now: datetime, zone: ZoneInfo) -> str:
    """Where a case stands against its due date, as a clerk reads it at a glance. The service
    point decides: a case served on time is on time, whatever the rating after it took."""
    if case.due_at is None:
        return NO_DEADLINE
    if case.served_at is not None:
        late = case.overdue_at is not None or case.served_at > case.due_at
        return SERVED_LATE if late else SERVED_ON_TIME
    if case.closed_at is not None:  # closed without the service: refused, withdrawn, cancelled
        stopped = case.sla_paused_at or case.closed_at
        return CLOSED_LATE if case.overdue_at is not None or stopped > case.due_at else CLOSED_ON_TIME
    if case.overdue_at is not None or (case.sla_paused_at or now) > case.due_at:
        return OVERDUE
    if case.sla_paused_at is not None:
        return PAUSED  # waiting for the applicant: the clock stands still
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
