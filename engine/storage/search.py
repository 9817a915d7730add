"""The clerks' case search: find a case by number, applicant name, ID number or phone, filter
it, sort it, and page through it (the lists' contract, ``engine.storage.queries.Page``).

Keyset pages: a page continues after the last row of the one before (the sort, its value and the
case id), so page 500 of half a million cases costs what page 1 costs, and rows arriving meanwhile
neither repeat nor vanish from the pages still to come; ``offset`` (a numbered page) is there too,
dearer the further it goes. Each sort is one index's order with the case id as tie-breaker
(engine/storage/models.py): the page's ids are found on the index first, then only those rows are
read, without their state. The matches are counted up to ``COUNT_CAP`` when that is cheap: for a
caller who reaches every case, or a search by a key (number, name, ID, phone, officer); a clerk's
plain list says "at least" instead (the case-access rule looks at each case in turn).

Which cases a caller may read at all is the case-access rule (``engine.access.CaseAccess``, as
``engine.storage.visibility.reachable``): every search goes through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from engine.access import CaseAccess
from engine.errors import InvalidInput
from engine.storage import queries
from engine.storage.models import Case, Task, User
from engine.storage.visibility import reachable

MAX_PAGE = 200  # as the lists' per_page


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
    office: str | None = None  # the office working the cases
    overdue_at: datetime | None = None  # open cases due before this moment
    received_from: datetime | None = None
    received_to: datetime | None = None
    sort: str = "-received_at"
    after: tuple | None = None  # the page starts after this position: (sort, value, case id)
    offset: int = 0
    limit: int = 50

    @property
    def by_key(self) -> bool:
        """Whether a key narrows the search (its matches are few and found on an index)."""
        return any((self.number, self.name_key, self.id_digest, self.phone, self.officer))


def search_cases(session: Session, search: CaseSearch, access: CaseAccess | None) -> queries.Page:
    """The page of cases ``search`` finds among those ``access`` reaches (None: the system);
    ``next_after`` is the position the next page starts after."""
    sort = SORTS.get(search.sort)
    if sort is None:
        raise InvalidInput(
            f"Unknown sort {search.sort!r}",
            errors=[{"field": "sort", "message": f"must be one of {', '.join(SORTS)}"}],
        )
    limit = max(1, min(search.limit, MAX_PAGE))
    conditions = [reachable(access), *_filters(search, session.get_bind().dialect.name)]
    found = session.execute(
        select(sort.column, Case.id)
        .where(*conditions, *_after(sort, search))
        .order_by(*_order(sort))
        .limit(search.offset + limit + 1)
    ).all()
    everyone = access is None or access.every_case
    counted = [select(Case.id).where(*conditions)] if everyone or search.by_key else None
    page = queries.page_of(session, found, counted, search.offset, limit, lambda row: (search.sort, row[0], row[1]))
    ids = [row[1] for row in page.rows]
    by_id = queries.cases_by_id(session, set(ids))
    return queries.Page([by_id[case_id] for case_id in ids], page.total, page.total_exact, page.next_after)


def name_starts_with(name_key: str, dialect: str) -> ColumnElement[bool]:
    """The applicant's name key begins with ``name_key``. SQLite's LIKE ignores case, so its
    index (binary order) cannot serve it and it reads every case: there the prefix is the range
    [key, key with its last character's successor), in the index's order of code points.
    PostgreSQL's index (text_pattern_ops) serves LIKE."""
    last = ord(name_key[-1])
    if dialect == "sqlite" and last < 0x10FFFF and not 0xD7FF <= last <= 0xDFFF:  # (no surrogate as the bound)
        return and_(Case.applicant_name_key >= name_key, Case.applicant_name_key < name_key[:-1] + chr(last + 1))
    escaped = name_key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Case.applicant_name_key.like(f"{escaped}%", escape="\\")


def _filters(search: CaseSearch, dialect: str) -> list[ColumnElement[bool]]:
    found = []
    if search.number:
        found.append(Case.number == search.number)
    if search.name_key:
        found.append(name_starts_with(search.name_key, dialect))
    if search.id_digest:
        found.append(Case.applicant_id_digest == search.id_digest)
    if search.phone:
        found.append(Case.applicant_phone == search.phone)
    for column, value in (
        (Case.procedure_key, search.procedure),
        (Case.status, search.status),
        (Case.channel, search.channel),
        (Case.officer, search.officer),
        (Case.office, search.office),
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


def _after(sort: Sort, search: CaseSearch) -> list:
    """The rows after the position ``search.after`` in the sort's order (empty values last)."""
    if search.after is None:
        return []
    position = search.after
    if len(position) != 3 or position[0] != search.sort or not isinstance(position[2], str):
        raise InvalidInput(
            "The page cursor does not fit this search",
            errors=[{"field": "after", "message": "use the next of the same search (same sort)"}],
        )
    _sort, value, case_id = position
    beyond = sort.column < value if sort.descending else sort.column > value
    later_id = Case.id < case_id if sort.descending else Case.id > case_id
    if value is None:
        return [and_(sort.column.is_(None), later_id)]
    after = or_(beyond, and_(sort.column == value, later_id))
    return [or_(after, sort.column.is_(None)) if sort.nullable else after]


def open_steps(session: Session, case_ids: Sequence[str]) -> dict[str, list[Task]]:
    """The open tasks of each case, oldest first (one query). The cases' tasks are read on their
    index and the open ones kept here: given the status too, SQLite walked the index of open
    tasks instead, all of the office's (75 ms a page with 100,000 open tasks)."""
    steps: dict[str, list[Task]] = {case_id: [] for case_id in case_ids}
    if case_ids:
        query = select(Task).where(Task.case_id.in_(list(case_ids))).order_by(Task.created_at, Task.id)
        for task in session.scalars(query):
            if task.status in ("ready", "claimed"):
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
