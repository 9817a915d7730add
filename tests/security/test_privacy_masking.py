"""National ID numbers are masked the same way in every answer about a case (case, state,
events, timeline, task, receipt, lists), unless the request asks for them in full."""

from __future__ import annotations

import pytest

from engine import commands as cmd
from tests.engine.helpers import RECEIVE, VALID_ID, open_tasks

MASKED = "A12****789"
SPOUSE_ID = "F131104093"
SPOUSE_MASKED = "F13****093"


@pytest.fixture
def case_id(engine, transcript) -> str:
    """A case whose applicant, data and a free-text note carry national ID numbers."""
    started = engine.handle(
        cmd.StartCase(
            "household_transcript",
            {"note": f"spouse {SPOUSE_ID} called"},
            actor="clerk",
            applicant={"name": "王小明", "national_id": VALID_ID},
        )
    )
    [task] = open_tasks(engine, started.case_id)
    engine.handle(cmd.CompleteTask(task.id, "clerk", RECEIVE))
    engine.run_due_jobs()
    return started.case_id


def views(case_id: str, task_id: str) -> dict[str, str]:
    return {
        "case": f"/api/cases/{case_id}",
        "state": f"/api/cases/{case_id}/state",
        "state at 2": f"/api/cases/{case_id}/state?at=2",
        "events": f"/api/cases/{case_id}/events",
        "timeline": f"/api/cases/{case_id}/timeline",
        "task": f"/api/tasks/{task_id}",
    }


def test_every_view_masks_alike_by_default(call, engine, case_id, tokens):
    [task] = open_tasks(engine, case_id)
    for name, path in views(case_id, task.id).items():
        answer = call("GET", path, user="supervisor")
        assert answer.status == 200, (name, answer)
        body = answer.body.decode()
        assert VALID_ID not in body and SPOUSE_ID not in body, name
        assert MASKED in body and SPOUSE_MASKED in body, name  # masked, not dropped: A12****789
    listed = call("GET", "/api/cases", user="clerk").body.decode()
    inbox = call("GET", "/api/tasks", user="clerk").body.decode()
    assert VALID_ID not in listed + inbox and MASKED in listed


def test_unmask_shows_the_numbers_in_full_in_every_view(call, engine, case_id, tokens):
    [task] = open_tasks(engine, case_id)
    for name, path in views(case_id, task.id).items():
        separator = "&" if "?" in path else "?"
        answer = call("GET", path + separator + "unmask=true", user="supervisor")
        assert answer.status == 200, (name, answer)
        assert VALID_ID in answer.body.decode() and SPOUSE_ID in answer.body.decode(), name


def test_the_receipt_masks_the_applicants_number(call, transcript, tokens):
    started = call(
        "POST",
        "/api/cases",
        user="clerk",
        json={"procedure": "household_transcript", "applicant": {"name": "王小明", "national_id": VALID_ID}},
    )
    assert started.json["receipt"]["received"]["applicant"]["national_id"] == MASKED
    assert VALID_ID not in started.body.decode()
