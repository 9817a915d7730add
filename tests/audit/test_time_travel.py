"""Time travel: the case as it was after each event, rebuilt by replay, through the API and the CLI."""

from __future__ import annotations

import json

import pytest

from engine import commands as cmd

from ..engine.helpers import RECEIVE, complete, open_task, start

# After event seq: (the open user tasks, keys the data must have, keys it must not have yet)
POINTS = {
    1: (["receive_application"], {"case_number"}, {"national_id", "fee_paid"}),
    2: ([], {"national_id", "identity_valid"}, {"household_record", "fee_paid"}),  # asking the register
    3: (["issue_transcript"], {"household_record", "identity_confirmed_by_agency"}, {"fee_paid"}),
    4: (["issue_transcript"], {"national_id"}, {"fee_paid"}),  # a claim changes no data
    5: ([], {"fee_paid"}, {"rating_score"}),  # waiting for the rating
    6: ([], {"fee_paid"}, {"rating_score"}),  # the service delivered: the SLA clock stopped
    7: ([], {"rating_score", "low_rating"}, set()),
}


@pytest.fixture
def journey(engine, transcript, clock):
    started = start(engine)
    complete(engine, started.case_id, "receive_application", RECEIVE)  # 2, and the register's answer 3
    clock.advance(minutes=3)
    engine.handle(cmd.ClaimTask(open_task(engine, started.case_id, "issue_transcript").id, "clerk-2"))  # 4
    clock.advance(minutes=4)
    complete(engine, started.case_id, "issue_transcript", {"fee_paid": 15}, actor="clerk-2")  # 5, and 6
    engine.handle(cmd.DeliverMessage(started.case_id, "rating_received", {"score": 4}, actor="applicant"))  # 7, 8
    return started


def _check(state: dict, seq: int) -> None:
    tasks, present, absent = POINTS[seq]
    assert state["seq"] == seq and state["divergence"] is None
    assert [task["element_id"] for task in state["ready_tasks"]] == tasks
    assert present <= set(state["data"]), (seq, sorted(state["data"]))
    assert not absent & set(state["data"]), (seq, sorted(state["data"]))


@pytest.mark.parametrize("seq", sorted(POINTS))
def test_api_state_after_each_event(call, journey, seq):
    answer = call("GET", f"/api/cases/{journey.case_id}/state", user="auditor", query={"at": seq})
    assert answer.status == 200, answer
    _check(answer.json, seq)


def test_cli_state_after_each_event(cli, journey):
    for seq in POINTS:
        _check(json.loads(cli("cases", "state", journey.number, "--at", str(seq)).output), seq)
    now = json.loads(cli("cases", "state", journey.number).output)
    assert now["completed"] is True and now["data"]["rating_score"] == 4


def test_points_outside_the_history_are_refused(call, cli, journey):
    beyond = call("GET", f"/api/cases/{journey.case_id}/state", user="auditor", query={"at": 9})
    assert beyond.status == 404 and beyond.content_type == "application/problem+json"
    assert call("GET", f"/api/cases/{journey.case_id}/state", user="auditor", query={"at": 0}).status == 422
    assert call("GET", f"/api/cases/{journey.case_id}/state", user="auditor", query={"at": "x"}).status == 422
    assert cli("cases", "state", journey.number, "--at", "9", ok=False).exit_code == 1
