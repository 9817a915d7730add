"""What the case-work commands read and write beside the case row: a task's draft (kept while
the clerk holds the task) and the users they check as officers and assignees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update

from engine.storage.direct_sql import DirectStatement
from engine.storage.models import Task, User

TASKS = Task.__table__
USERS = User.__table__


_SAVE_DRAFT = (
    update(TASKS)
    .where(
        TASKS.c.id == bindparam("match_id"),
        TASKS.c.status == "claimed",
        TASKS.c.assignee == bindparam("match_assignee"),
    )
    .values(draft=bindparam("draft"), draft_saved_at=bindparam("saved_at"), draft_saved_by=bindparam("match_assignee"))
)


def save_task_draft(conn: Connection, task_id: str, assignee: str, draft: dict, now: datetime) -> bool:
    """Keep ``draft`` on the task if ``assignee`` holds it; False otherwise."""
    values = {"match_id": task_id, "match_assignee": assignee, "draft": draft, "saved_at": now}
    return conn.execute(_SAVE_DRAFT, values).rowcount == 1


@dataclass(frozen=True)
class Worker:
    username: str
    roles: frozenset[str]
    groups: frozenset[str]
    active: bool


# Run on the driver directly (engine.storage.direct_sql): the first completion of every case
# asks whether its actor works cases.
_WORKER = DirectStatement(
    select(USERS.c.username, USERS.c.roles, USERS.c.groups, USERS.c.active).where(
        USERS.c.username == bindparam("username")
    )
)


def worker(conn: Connection, username: str) -> Worker | None:
    """A user as the case commands check them (officer, assignee), or None."""
    row = _WORKER.first(conn, {"username": username})
    if row is None:
        return None
    return Worker(row["username"], frozenset(row["roles"] or ()), frozenset(row["groups"] or ()), bool(row["active"]))
