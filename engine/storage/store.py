"""The repository of cases for command handlers, in SQLAlchemy Core.

Commands run on a hot path (every clerk action, every timer): the ORM's unit-of-work costs
several times more than the statements themselves, so handlers read and write plain rows
here. The ORM models in ``engine.models`` define the tables and serve the read side.

Optimistic concurrency: ``save_case`` updates only where the version is still the one that
was read, and raises Conflict otherwise.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from engine.access import CaseAccess
from engine.errors import Conflict, NotFound
from engine.events import SLA_RESUMED
from engine.storage.direct_sql import DirectStatement
from engine.storage.models import (
    NO_DUE_DATE,
    OPEN_TASK_SQL,
    Case,
    CaseDocument,
    CaseEvent,
    CaseNumberCounter,
    Definition,
    Notification,
    Rating,
    Task,
)
from engine.storage.visibility import reachable

CASES = Case.__table__
EVENTS = CaseEvent.__table__
TASKS = Task.__table__
COUNTERS = CaseNumberCounter.__table__
DEFINITIONS = Definition.__table__
RATINGS = Rating.__table__
NOTIFICATIONS = Notification.__table__
DOCUMENTS = CaseDocument.__table__

OPEN_TASK_STATUSES = ("ready", "claimed")
RACE_MESSAGE = "Someone else changed this case at the same time; reload and try again"


@dataclass
class CaseRecord:
    id: str
    number: str
    procedure_key: str
    definition_id: int
    status: str
    channel: str
    applicant: dict | None
    access_code: str
    idempotency_key: str | None
    state: str
    state_hash: str
    version: int
    task_id_counter: int
    last_event_seq: int
    last_event_hash: str
    received_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    close_reason: str | None = None
    next_timer_at: datetime | None = None
    due_at: datetime | None = None
    overdue_at: datetime | None = None
    served_at: datetime | None = None
    sla_standard: str | None = None
    sla_paused_at: datetime | None = None
    sla_paused_amount: float = 0.0
    sla_extended_amount: float = 0.0
    officer: str | None = None
    close_kind: str | None = None
    applicant_name: str | None = None
    applicant_name_key: str | None = None
    applicant_id_digest: str | None = None
    applicant_phone: str | None = None
    timer_incident_id: int | None = None
    office: str | None = None
    received_office: str | None = None
    received_by: str | None = None


@dataclass
class TaskRecord:
    id: str
    case_id: str
    element_id: str
    name: str | None
    element_type: str
    lane: str | None
    form_key: str | None
    status: str
    assignee: str | None
    created_at: datetime
    due_at: datetime | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None
    effective_due_at: datetime | None = None  # the inbox's order (effective_due)
    office: str | None = None  # its case's working office


_CASE_FIELDS = [f.name for f in fields(CaseRecord)]
_TASK_FIELDS = [f.name for f in fields(TaskRecord)]


def _values(record) -> dict[str, Any]:
    """A shallow dict of a record (``dataclasses.asdict`` deep-copies, which costs here)."""
    return {name: getattr(record, name) for name in record.__dataclass_fields__}


# Statements are built once with bind parameters: building them per call (and coercing every
# value into the expression) cost more than executing them.
_SELECT_CASE = select(*[CASES.c[name] for name in _CASE_FIELDS]).where(CASES.c.id == bindparam("case_id"))
_SELECT_CASE_FOR_UPDATE = _SELECT_CASE.with_for_update()  # PostgreSQL queues concurrent commands here
# The statements of every command run on the driver directly (engine/direct_sql.py).
_LOAD_CASE = DirectStatement(_SELECT_CASE_FOR_UPDATE)
_SELECT_CASE_BY_KEY = select(*[CASES.c[name] for name in _CASE_FIELDS]).where(
    CASES.c.idempotency_key == bindparam("key")
)
_INSERT_CASE = DirectStatement(insert(CASES))
_INSERT_EVENTS = DirectStatement(insert(EVENTS))
_BUMP_COUNTER = DirectStatement(
    update(COUNTERS)
    .where(COUNTERS.c.office == bindparam("match_office"), COUNTERS.c.year == bindparam("match_year"))
    .values(last_number=COUNTERS.c.last_number + 1)
    .returning(COUNTERS.c.last_number)
)
_INSERT_COUNTER = insert(COUNTERS)
_LATEST_DEFINITION = DirectStatement(
    select(DEFINITIONS.c.id)
    .where(DEFINITIONS.c.process_key == bindparam("key"), DEFINITIONS.c.draft.is_(False))
    .order_by(DEFINITIONS.c.version.desc())
    .limit(1)
)
_SELECT_OPEN_TASKS = select(*[TASKS.c[name] for name in _TASK_FIELDS]).where(
    TASKS.c.case_id == bindparam("case_id"), TASKS.c.status.in_(OPEN_TASK_STATUSES)
)
_INSERT_TASKS = DirectStatement(insert(TASKS))
_SELECT_TASK_AND_CASE = DirectStatement(
    select(*[TASKS.c[name].label(f"task_{name}") for name in _TASK_FIELDS], *[CASES.c[name] for name in _CASE_FIELDS])
    .join_from(TASKS, CASES, CASES.c.id == TASKS.c.case_id)
    .where(TASKS.c.id == bindparam("task_id"))
    .with_for_update(of=CASES)
)


def load_case(conn: Connection, case_id: str, *, for_update: bool = True) -> CaseRecord:
    if for_update:
        values = _LOAD_CASE.first(conn, {"case_id": case_id})
    else:
        row = conn.execute(_SELECT_CASE, {"case_id": case_id}).first()
        values = row._mapping if row is not None else None
    if values is None:
        raise NotFound(f"Case {case_id} does not exist", case_id=case_id)
    return _stored_case(values)


def ensure_reachable(conn: Connection, case_id: str, access: CaseAccess | None) -> None:
    """Refuse, as if the case did not exist, a command on a case ``access`` does not reach."""
    if access is None or access.every_case:
        return
    if conn.execute(select(CASES.c.id).where(CASES.c.id == case_id, reachable(access))).first() is None:
        raise NotFound(f"Case {case_id} does not exist", case_id=case_id)


_CASE_VERSION = DirectStatement(select(CASES.c.version).where(CASES.c.id == bindparam("case_id")))


def case_version(conn: Connection, case_id: str) -> int | None:
    return _CASE_VERSION.scalar(conn, {"case_id": case_id})


def _stored_case(values) -> CaseRecord:
    """A record of a case row that remembers the row's values, so ``save_case`` writes only
    the columns a command changed (a command changes about a third of them)."""
    case = CaseRecord(**values)
    case.stored_values = dict(values)
    return case


def find_case_by_idempotency_key(conn: Connection, key: str) -> CaseRecord | None:
    row = conn.execute(_SELECT_CASE_BY_KEY, {"key": key}).first()
    return _stored_case(row._mapping) if row is not None else None


def insert_case(conn: Connection, case: CaseRecord) -> None:
    values = _values(case)
    try:
        _INSERT_CASE.executemany(conn, [values])
    except IntegrityError as error:  # a concurrent start with the same idempotency key
        raise Conflict("A case with this idempotency key is being created", case_id=case.id) from error
    case.stored_values = values


def save_case(conn: Connection, case: CaseRecord, read_version: int) -> None:
    """Write the case if nobody changed it since it was read at ``read_version``: the columns
    that differ from the row as read (all of them for a record not read from the database)."""
    stored = getattr(case, "stored_values", None) or {}
    values = {
        name: value
        for name, value in _values(case).items()
        if name != "id" and (name not in stored or stored[name] != value)
    }
    values["version"] = read_version + 1
    statement = _update_case_statement(tuple(sorted(values)))
    if statement.rowcount(conn, {**values, "match_id": case.id, "match_version": read_version}) != 1:
        raise Conflict(RACE_MESSAGE, case_id=case.id)
    if "due_at" in values:  # the inbox orders the case's open tasks without a date of their own by it
        _FOLLOW_CASE_DUE.rowcount(conn, {"match_case": case.id, "effective_due_at": effective_due(None, case.due_at)})
    case.version = read_version + 1
    case.stored_values = {**stored, **values}


def effective_due(task_due_at: datetime | None, case_due_at: datetime | None) -> datetime:
    """Where a task stands in the inbox: due when it is, else when its case is, else last."""
    return task_due_at or case_due_at or NO_DUE_DATE


_FOLLOW_CASE_DUE = DirectStatement(
    update(TASKS)
    .where(
        TASKS.c.case_id == bindparam("match_case"),
        text(OPEN_TASK_SQL),
        TASKS.c.due_at.is_(None),
    )
    .values(effective_due_at=bindparam("effective_due_at"))
)


@functools.lru_cache(maxsize=256)
def _update_case_statement(columns: tuple[str, ...]):
    """The optimistic UPDATE of ``columns``, built once per set of columns."""
    return DirectStatement(
        update(CASES)
        .where(CASES.c.id == bindparam("match_id"), CASES.c.version == bindparam("match_version"))
        .values({name: bindparam(name) for name in columns})
    )


def append_events(conn: Connection, rows: list[dict[str, Any]]) -> None:
    try:
        _INSERT_EVENTS.executemany(conn, rows)
    except IntegrityError as error:  # unique (case_id, seq): another command appended first
        raise Conflict(RACE_MESSAGE) from error


def first_event_payload(conn: Connection, case_id: str) -> dict:
    """What the case recorded when it started (its first event's payload)."""
    return conn.execute(select(EVENTS.c.payload).where(EVENTS.c.case_id == case_id, EVENTS.c.seq == 1)).scalar_one()


def document_hashes(conn: Connection, case_id: str) -> list[str]:
    """The SHA-256 of every file attached to the case, sorted."""
    rows = conn.execute(select(DOCUMENTS.c.sha256).where(DOCUMENTS.c.case_id == case_id)).scalars()
    return sorted(rows)


def sla_pauses(conn: Connection, case_id: str) -> list[tuple[datetime, datetime]]:
    """(paused at, resumed at) of each finished pause of the case's SLA clock, from its events."""
    rows = conn.execute(
        select(EVENTS.c.payload, EVENTS.c.occurred_at).where(EVENTS.c.case_id == case_id, EVENTS.c.type == SLA_RESUMED)
    ).all()
    return [(datetime.fromisoformat(payload["paused_at"]), occurred) for payload, occurred in rows]


def next_case_number(conn: Connection, office: str, year: int) -> int:
    """The next number of the office's year (numbers count per office and year)."""
    # UPDATE first: it takes the row lock on PostgreSQL, so concurrent starts queue here.
    keys = {"match_office": office, "match_year": year}
    number = _BUMP_COUNTER.scalar(conn, keys)
    if number is not None:
        return number
    # The year's first case. Two starts can both find no counter (PostgreSQL; SQLite's writers
    # take turns): the second one's INSERT fails, and it counts on the row the first one made.
    try:
        with conn.begin_nested():
            conn.execute(_INSERT_COUNTER, {"office": office, "year": year, "last_number": 1})
        return 1
    except IntegrityError:
        return _BUMP_COUNTER.scalar(conn, keys)


def latest_definition_id(conn: Connection, process_key: str) -> int | None:
    """The latest version cases start on (drafts are never started)."""
    return _LATEST_DEFINITION.scalar(conn, {"key": process_key})


_SELECT_DEFINITION_VERSION = select(DEFINITIONS.c.id, DEFINITIONS.c.version, DEFINITIONS.c.draft).where(
    DEFINITIONS.c.process_key == bindparam("key"), DEFINITIONS.c.version == bindparam("version")
)


def definition_version(conn: Connection, process_key: str, version: int):
    """(id, version, draft) of one version of a procedure, or NotFound."""
    row = conn.execute(_SELECT_DEFINITION_VERSION, {"key": process_key, "version": version}).first()
    if row is None:
        raise NotFound(f"Procedure '{process_key}' has no version {version}", procedure=process_key, version=version)
    return row


def running_case_ids(conn: Connection, definition_id: int) -> list[str]:
    """The running cases of one definition version, oldest first."""
    return list(
        conn.execute(
            select(CASES.c.id)
            .where(CASES.c.definition_id == definition_id, CASES.c.status == "running")
            .order_by(CASES.c.received_at, CASES.c.id)
        ).scalars()
    )


def not_startable_message(conn: Connection, process_key: str) -> str:
    """Why no case can start on ``process_key``: not deployed at all, or only as drafts."""
    drafts = conn.execute(
        select(func.count()).select_from(DEFINITIONS).where(DEFINITIONS.c.process_key == process_key)
    ).scalar()
    if drafts:
        return (
            f"Procedure '{process_key}' is deployed only as a draft, so no case can start on it. "
            "Fix the findings of the draft and deploy it again."
        )
    return f"No procedure '{process_key}' is deployed"


def load_task_and_case(conn: Connection, task_id: str) -> tuple[TaskRecord, CaseRecord]:
    """A task and its case in one statement, the case locked as ``load_case`` locks it."""
    values = _SELECT_TASK_AND_CASE.first(conn, {"task_id": task_id})
    if values is None:
        raise NotFound(f"Task {task_id} does not exist", task_id=task_id)
    task = TaskRecord(**{name: values[f"task_{name}"] for name in _TASK_FIELDS})
    return task, _stored_case({name: values[name] for name in _CASE_FIELDS})


def open_tasks(conn: Connection, case_id: str) -> list[TaskRecord]:
    return [TaskRecord(**row._mapping) for row in conn.execute(_SELECT_OPEN_TASKS, {"case_id": case_id})]


_MOVE_OPEN_TASKS = (
    update(TASKS)
    .where(TASKS.c.case_id == bindparam("match_case"), TASKS.c.status.in_(OPEN_TASK_STATUSES))
    .values(office=bindparam("office"), status="ready", assignee=None)
)


def move_open_tasks(conn: Connection, case_id: str, office: str) -> None:
    """The case's open tasks to another office, free for its clerks to take."""
    conn.execute(_MOVE_OPEN_TASKS, {"match_case": case_id, "office": office})


def insert_tasks(conn: Connection, tasks: list[TaskRecord]) -> None:
    if tasks:
        _INSERT_TASKS.executemany(conn, [_values(task) for task in tasks])


_ASSIGN_TASK = (
    update(TASKS)
    .where(TASKS.c.id == bindparam("match_id"))
    .values(status=bindparam("status"), assignee=bindparam("assignee"))
)
_CLOSE_TASK = DirectStatement(
    update(TASKS)
    .where(TASKS.c.id == bindparam("match_id"))
    .values(
        status=bindparam("status"),
        completed_at=bindparam("completed_at"),
        completed_by=bindparam("completed_by"),
        draft=None,  # the completed form is in the case's history; a draft is no longer needed
        draft_saved_at=None,
        draft_saved_by=None,
    )
)
_SET_TASK_DUE = (
    update(TASKS)
    .where(TASKS.c.id == bindparam("match_id"))
    .values(due_at=bindparam("due_at"), effective_due_at=bindparam("effective_due_at"))
)


def assign_task(conn: Connection, task_id: str, status: str, assignee: str | None) -> None:
    conn.execute(_ASSIGN_TASK, {"match_id": task_id, "status": status, "assignee": assignee})


def close_tasks(conn: Connection, closed: list[tuple[str, str, datetime, str | None]]) -> None:
    """Mark inbox rows done: (task id, 'completed' or 'cancelled', when, by whom)."""
    if closed:
        _CLOSE_TASK.executemany(
            conn,
            [
                {"match_id": task_id, "status": status, "completed_at": at, "completed_by": by}
                for task_id, status, at, by in closed
            ],
        )


def set_task_due(conn: Connection, task_id: str, due_at: datetime | None, case_due_at: datetime | None) -> None:
    conn.execute(
        _SET_TASK_DUE, {"match_id": task_id, "due_at": due_at, "effective_due_at": effective_due(due_at, case_due_at)}
    )


_DESCRIBE_TASK = (
    update(TASKS)
    .where(TASKS.c.id == bindparam("match_id"))
    .values(
        name=bindparam("name"),
        element_id=bindparam("element_id"),
        element_type=bindparam("element_type"),
        lane=bindparam("lane"),
        form_key=bindparam("form_key"),
    )
)


def describe_task(
    conn: Connection,
    task_id: str,
    *,
    name: str | None,
    element_id: str,
    element_type: str,
    lane: str | None,
    form_key: str | None,
) -> None:
    """Give an open inbox row its element's description in a new version of the procedure."""
    conn.execute(
        _DESCRIBE_TASK,
        {
            "match_id": task_id,
            "name": name,
            "element_id": element_id,
            "element_type": element_type,
            "lane": lane,
            "form_key": form_key,
        },
    )


def insert_rating(conn: Connection, case: CaseRecord, score: int, comment: str | None, now: datetime) -> None:
    try:
        conn.execute(
            insert(RATINGS).values(
                case_id=case.id,
                procedure_key=case.procedure_key,
                channel=case.channel,
                score=score,
                comment=comment,
                rated_at=now,
            )
        )
    except IntegrityError as error:
        raise Conflict(f"Case {case.number} has already been rated", case_id=case.id) from error


def queue_notifications(
    conn: Connection, case_id: str, kind: str, drafts: list, now: datetime, occasion: str = ""
) -> int:
    """Put messages in the outbox, in the caller's transaction; one per (case, kind, occasion,
    audience, channel, recipient) ever, so a cause that happens twice still sends one message."""
    rows = {}
    cause = f"{kind}@{occasion}" if occasion else kind
    for draft in drafts:
        key = f"{case_id}:{cause}:{draft.audience}:{draft.channel}:{draft.recipient}"[:300]
        rows[key] = {
            "dedupe_key": key,
            "case_id": case_id,
            "kind": kind,
            "audience": draft.audience,
            "channel": draft.channel,
            "recipient": draft.recipient[:300],
            "subject": draft.subject[:300],
            "body": draft.body,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
    if not rows:
        return 0
    existing = set(
        conn.execute(select(NOTIFICATIONS.c.dedupe_key).where(NOTIFICATIONS.c.dedupe_key.in_(list(rows)))).scalars()
    )
    fresh = [row for key, row in rows.items() if key not in existing]
    if fresh:
        conn.execute(insert(NOTIFICATIONS), fresh)
    return len(fresh)
