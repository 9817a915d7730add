"""The inbox follows due dates as they move: a case whose due date changes takes its open tasks
along (tasks.effective_due_at, kept by the commands)."""

from __future__ import annotations

from datetime import date

from engine import commands as cmd
from engine.storage import queries
from tests.engine.helpers import case_row

from .conftest import taipei


def inbox(engine) -> list[str]:
    with engine.read() as session:
        return [row.task.case_id for row in queries.list_tasks(session, queries.TaskFilter()).rows]


def test_a_case_whose_due_date_moves_takes_its_tasks_along(timer_engine, clock):
    engine = timer_engine
    clock.set(taipei(2026, 3, 2, 9))  # Monday
    first = engine.handle(cmd.StartCase("documents_pause", {}, actor="clerk-1")).case_id  # due Thu 03-05
    clock.set(taipei(2026, 3, 3, 9))
    second = engine.handle(cmd.StartCase("documents_pause", {}, actor="clerk-1")).case_id  # due Fri 03-06
    assert inbox(engine) == [first, second]

    for day in (date(2026, 3, 4), date(2026, 3, 5)):  # the office closes Wednesday and Thursday
        engine.catalogue.calendar.add_override(day, False, "typhoon", actor="admin", now=clock.now())
    engine.handle(cmd.RescheduleCase(first, "typhoon closure", actor="admin"))  # only the first, here

    assert case_row(engine, first).due_at == taipei(2026, 3, 9, 17) > case_row(engine, second).due_at
    assert inbox(engine) == [second, first]
    with engine.read() as session:
        overdue = queries.list_tasks(session, queries.TaskFilter(overdue_at=taipei(2026, 3, 7))).rows
    assert [row.task.case_id for row in overdue] == [second]
    assert engine.verify_case(first).ok
