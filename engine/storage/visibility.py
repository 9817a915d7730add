"""The case-access rule (``engine.access.CaseAccess``) as a WHERE clause on ``cases``, shared by
the read queries and the commands' statements."""

from __future__ import annotations

from sqlalchemy import and_, exists, false, or_, select, true

from engine.access import CaseAccess
from engine.storage.models import Case, Task

CASES = Case.__table__
TASKS = Task.__table__
# Columns of ``cases`` that name the user who handles a case (the responsible officer): that user
# reaches the case whatever lane its work is in. Only the columns the schema has are used.
HANDLER_COLUMNS = ("officer",)


def handler_columns() -> list:
    return [CASES.c[name] for name in HANDLER_COLUMNS if name in CASES.c]


def reachable(access: CaseAccess | None):
    """Cases ``access`` reaches: with a task (open or closed) in one of its lanes, or handled by
    its user, at one of its offices (working or receiving the case). ``None`` is the system itself
    and reaches every case."""
    if access is None or access.every_case:
        return true()
    if access.offices is None:
        return _by_work(access)
    codes = sorted(access.offices)
    at_office = or_(CASES.c.office.in_(codes), CASES.c.received_office.in_(codes))
    return at_office if access.all_cases else and_(at_office, _by_work(access))


def _by_work(access: CaseAccess):
    clauses = []
    if access.lanes:
        # Answered by the index ix_tasks_case (case id, lane) alone, without reading task rows.
        clauses.append(
            exists(select(TASKS.c.case_id).where(TASKS.c.case_id == CASES.c.id, TASKS.c.lane.in_(sorted(access.lanes))))
        )
    if access.username is not None:
        clauses += [column == access.username for column in handler_columns()]
    return or_(*clauses) if clauses else false()
