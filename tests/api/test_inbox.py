"""The inbox's order and its overdue filter go by each task's due date: its own (an SLA timer on
the task), else its case's, as the web app shows it."""

from __future__ import annotations

from engine import commands as cmd
from tests.engine.helpers import RECEIVE, case_row, complete, open_task, pass_due


def test_the_inbox_goes_by_the_tasks_own_due_date_or_else_its_cases(call, engine, transcript, clock):
    waiting = engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk")).case_id
    at_receive = open_task(engine, waiting, "receive_application")
    assert at_receive.due_at is None  # no timer of its own: the case's due date counts
    clock.advance(hours=1)
    later = engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk")).case_id
    complete(engine, later, "receive_application", RECEIVE)
    at_issue = open_task(engine, later, "issue_transcript")
    assert at_issue.due_at is not None and at_issue.due_at > case_row(engine, waiting).due_at

    inbox = call("GET", "/api/tasks", user="clerk").json
    assert [item["id"] for item in inbox["items"]] == [at_receive.id, at_issue.id]

    pass_due(clock, case_row(engine, waiting).due_at)
    overdue = call("GET", "/api/tasks", user="clerk", query={"overdue": "true"}).json
    assert (overdue["total"], [item["id"] for item in overdue["items"]]) == (1, [at_receive.id])
