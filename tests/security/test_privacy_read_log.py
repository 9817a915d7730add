"""Each read of a case with its national ID numbers in full is recorded (who, whose, which view,
when) before it is answered; auditors list the record; roles that do not need the numbers are
refused them."""

from __future__ import annotations

import pytest

from engine import commands as cmd
from tests.engine.helpers import VALID_ID, open_tasks


@pytest.fixture
def started(engine, transcript):
    return engine.handle(
        cmd.StartCase("household_transcript", {}, actor="clerk", applicant={"name": "王小明", "national_id": VALID_ID})
    )


def reads(call, **query) -> dict:
    answer = call("GET", "/api/audit/personal-data-reads", user="auditor", query=query)
    assert answer.status == 200, answer
    return answer.json


def test_each_unmasked_read_is_recorded_and_masked_reads_are_not(call, engine, started, tokens, clock):
    [task] = open_tasks(engine, started.case_id)
    assert call("GET", f"/api/cases/{started.case_id}", user="clerk").status == 200
    assert call("GET", f"/api/tasks/{task.id}", user="clerk").status == 200
    assert reads(call)["total"] == 0  # masked reads are not personal-data reads
    clock.advance(minutes=5)
    assert call("GET", f"/api/cases/{started.case_id}", user="clerk", query={"unmask": "true"}).status == 200
    clock.advance(minutes=1)
    assert call("GET", f"/api/tasks/{task.id}", user="clerk", query={"unmask": "1"}).status == 200
    assert call("GET", f"/api/cases/{started.case_id}/events", user="auditor", query={"unmask": "true"}).status == 200
    recorded = reads(call)
    assert recorded["total"] == 3
    assert [(item["reader"], item["view"], item["case_number"]) for item in recorded["items"]] == [
        ("auditor", "events", started.number),
        ("clerk", "task", started.number),
        ("clerk", "case", started.number),
    ]
    assert recorded["items"][2]["read_at"].startswith("2026-03-02T01:05:00")
    assert recorded["items"][0]["client"] == "127.0.0.1"
    assert reads(call, reader="clerk")["total"] == 2
    assert reads(call, case_number=started.number, since="2026-03-02T01:05:30+00:00")["total"] == 2
    assert VALID_ID not in call("GET", "/api/audit/personal-data-reads", user="auditor").body.decode()


@pytest.mark.parametrize("user", ["admin", "designer"])
def test_roles_that_do_not_need_the_numbers_are_refused_them(call, started, tokens, user):
    answer = call("GET", f"/api/cases/{started.case_id}", user=user, query={"unmask": "true"})
    assert answer.status == 403, answer
    assert reads(call)["total"] == 0


def test_a_read_out_of_reach_is_neither_answered_nor_recorded(call, started, tokens):
    answer = call("GET", f"/api/cases/{started.case_id}", user="records_clerk", query={"unmask": "true"})
    assert answer.status == 404
    assert reads(call)["total"] == 0


def test_only_auditors_and_admins_list_the_record(call, tokens):
    for user, status in (("auditor", 200), ("admin", 200), ("supervisor", 403), ("clerk", 403)):
        assert call("GET", "/api/audit/personal-data-reads", user=user).status == status, user


def test_a_proof_download_is_a_recorded_read(call, started, tokens):
    """The proof carries the events as stored (their hashes cover the numbers in full)."""
    proof = call("GET", f"/api/cases/{started.case_id}/proof", user="supervisor")
    assert proof.status == 200 and VALID_ID in proof.body.decode()
    assert [(item["reader"], item["view"]) for item in reads(call)["items"]] == [("supervisor", "proof")]
    assert call("GET", f"/api/cases/{started.case_id}/proof", user="other_supervisor").status == 404
    assert reads(call)["total"] == 1
