"""The clerks' case search: find a case by number, applicant name, ID number or phone, filter
it, sort it, and page through it with keyset cursors.

Keyset, not offsets: a page continues after the last row of the one before (its sort value and
id), so page 500 of half a million cases costs what page 1 costs, and rows arriving meanwhile
neither repeat nor vanish from the pages still to come. Each sort is one index's order with the
case id as tie-breaker. The total is counted only up to ``COUNT_CAP`` (a search that finds more
says "more than" instead of counting them all).

Which cases a caller may read at all is the case-access rule (``engine.access.CaseAccess``, as
``engine.storage.visibility.reachable``): every search goes through it.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from engine.access import CaseAccess
from engine.errors import InvalidInput
from engine.storage.models import Case, Task, User
from engine.storage.visibility import reachable

COUNT_CAP = 10_000
MAX_PAGE = 100


@dataclass(frozen=True)
class Sort:
    column: Any
    descending: bool
    nullable: bool


SORTS = {
    "-received_at": Sort(Case.received_at, True, False),
    "received_at": Sort(Case.received_at, False, False),
    "due_at": Sort(Case.due_at, False, True),
    "-due_at": Sort(Case.due_at, True, True),
}


@dataclass(frozen=True)
class CaseSearch:
    """What to find. The applicant keys are already normalised (engine.registries.CaseIndex)."""

    number: str | None = None
    name_key: str | None = None  # a prefix of the applicant's name (as CaseIndex.name_key gives it)
    id_digest: str | None = None
    phone: str | None = None
    procedure: str | None = None
    status: str | None = None
    channel: str | None = None
    officer: str | None = None
    overdue_at: datetime | None = None  # open cases due before this moment
    received_from: datetime | None = None
    received_to: datetime | None = None
    sort: str = "-received_at"
    cursor: str | None = None  # from the page before (``next_cursor``)
    limit: int = 50


@dataclass(frozen=True)
class CasePage:
    cases: list[Case]
    total: int  # at most COUNT_CAP
    total_exact: bool
    next_cursor: str | None


def search_cases(session: Session, search: CaseSearch, access: CaseAccess | None) -> CasePage:
    """The page of cases ``search`` finds among those ``access`` reaches (None: the system)."""
    sort = SORTS.get(search.sort)
    if sort is None:
        raise InvalidInput(
            f"Unknown sort {search.sort!r}",
            errors=[{"field": "sort", "message": f"must be one of {', '.join(SORTS)}"}],
        )
    limit = max(1, min(search.limit, MAX_PAGE))
    conditions = [reachable(access), *_filters(search)]
    total = session.scalar(
        select(func.count()).select_from(select(Case.id).where(*conditions).limit(COUNT_CAP + 1).subquery())
    )
    if search.cursor:
        conditions.append(_after(sort, *_decode(search.cursor, search.sort)))
    rows = list(session.scalars(select(Case).where(*conditions).order_by(*_order(sort)).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = _encode(search.sort, getattr(rows[-1], sort.column.key), rows[-1].id) if more else None
    return CasePage(rows, min(total, COUNT_CAP), total <= COUNT_CAP, next_cursor)


def _filters(search: CaseSearch) -> list[ColumnElement[bool]]:
    found = []
    if search.number:
        found.append(Case.number == search.number)
    if search.name_key:
        escaped = search.name_key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        found.append(Case.applicant_name_key.like(f"{escaped}%", escape="\\"))
    if search.id_digest:
        found.append(Case.applicant_id_digest == search.id_digest)
    if search.phone:
        found.append(Case.applicant_phone == search.phone)
    for column, value in (
        (Case.procedure_key, search.procedure),
        (Case.status, search.status),
        (Case.channel, search.channel),
        (Case.officer, search.officer),
    ):
        if value is not None:
            found.append(column == value)
    if search.overdue_at is not None:
        found.append(and_(Case.status == "running", Case.due_at < search.overdue_at))
    if search.received_from is not None:
        found.append(Case.received_at >= search.received_from)
    if search.received_to is not None:
        found.append(Case.received_at < search.received_to)
    return found


def _order(sort: Sort) -> list:
    column, tie = (sort.column.desc(), Case.id.desc()) if sort.descending else (sort.column.asc(), Case.id.asc())
    return [column.nulls_last() if sort.nullable else column, tie]


def _after(sort: Sort, value, case_id: str) -> ColumnElement[bool]:
    """Rows after (value, id) in the sort's order; empty values come last either way."""
    beyond = sort.column < value if sort.descending else sort.column > value
    later_id = Case.id < case_id if sort.descending else Case.id > case_id
    if value is None:
        return and_(sort.column.is_(None), later_id)
    after = or_(beyond, and_(sort.column == value, later_id))
    return or_(after, sort.column.is_(None)) if sort.nullable else after


def _encode(sort: str, value, case_id: str) -> str:
    raw = json.dumps([sort, value.isoformat() if isinstance(value, datetime) else value, case_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, sort: str) -> tuple[Any, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        cursor_sort, value, case_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if cursor_sort != sort or not isinstance(case_id, str):
            raise ValueError("another sort")
        return (datetime.fromisoformat(value) if value is not None else None), case_id
    except (ValueError, TypeError) as error:
        raise InvalidInput(
            "The cursor is not one this search gave",
            errors=[{"field": "cursor", "message": "use the next_cursor of the same search (same sort)"}],
        ) from error


def open_steps(session: Session, case_ids: Sequence[str]) -> dict[str, list[Task]]:
    """The open tasks of each case, oldest first (one query)."""
    steps: dict[str, list[Task]] = {case_id: [] for case_id in case_ids}
    if case_ids:
        query = (
            select(Task)
            .where(Task.case_id.in_(list(case_ids)), Task.status.in_(("ready", "claimed")))
            .order_by(Task.created_at, Task.id)
        )
        for task in session.scalars(query):
            steps[task.case_id].append(task)
    return steps


def staff(session: Session, usernames: Sequence[str | None]) -> dict[str, User]:
    """Users by username (one query), for showing officers and assignees by name."""
    names = sorted({name for name in usernames if name})
    if not names:
        return {}
    return {user.username: user for user in session.scalars(select(User).where(User.username.in_(names)))}


def colleagues(session: Session, group: str | None, roles: Sequence[str]) -> list[User]:
    """Active users with one of ``roles`` (in ``group``, a BPMN lane, if given), by name."""
    users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
    return [
        user for user in users if set(user.roles or ()) & set(roles) and (group is None or group in (user.groups or ()))
    ]
