"""Case work over the API: the responsible officer (承辦人), the one-time notice and the
supplement at the counter, withdrawal, notes, drafts of task forms, handing a task to a colleague."""

from __future__ import annotations

import pytest

from engine import commands as cmd
from engine import files_from_folder
from engine.storage import User
from tests.engine.helpers import BIRTH_RECEIVE, RECEIVE, VALID_ID, open_task, run_jobs_of

from ..conftest import BPMN

BIRTH = {**BIRTH_RECEIVE, "applicant_phone": "0912345678"}


@pytest.fixture
def birth(engine, transcript):
    engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / "birth_registration"), actor="designer"))


@pytest.fixture
def phones(engine, tokens):
    """The clerk has a direct line; clerk2 has none (the office's number stands in)."""
    with engine.write() as session:
        user = session.query(User).filter_by(username="clerk").one()
        user.display_name, user.phone = "陳怡君", "(02) 2700-1234 #121"


def complete_step(call, engine, case_id: str, element_id: str, data: dict, user: str = "clerk") -> dict:
    task = open_task(engine, case_id, element_id)
    answer = call("POST", f"/api/tasks/{task.id}/complete", user=user, json={"data": data})
    assert answer.status == 200, answer
    run_jobs_of(engine, case_id)
    return answer.json


def birth_after_notice(call, engine, presented: list[str]) -> dict:
    started = call("POST", "/api/cases", user="clerk", json={"procedure": "birth_registration"}).json
    complete_step(call, engine, started["case_id"], "receive_application", {**BIRTH, "documents_presented": presented})
    return started


def test_the_clerk_who_receives_a_case_is_its_officer_on_the_receipt_and_status_page(call, phones):
    call.deploy()
    started = call("POST", "/api/cases", user="clerk", json={"procedure": "household_transcript"}).json
    assert started["receipt"]["officer"] == {"username": "clerk", "name": "陳怡君", "phone": "(02) 2700-1234 #121"}
    assert started["receipt"]["office"]["phone"] and started["receipt"]["office"]["address"]["zh"]
    public = call("GET", f"/api/public/cases/{started['number']}", query={"code": started["access_code"]}).json
    # The applicant reads a name and a number to call, not the username.
    assert public["officer"] == {"name": "陳怡君", "phone": "(02) 2700-1234 #121"}
    assert public["stage"] == "in_progress" and public["steps_open"] == ["受理申請 Receive application"]


def test_a_supervisor_reassigns_the_officer_and_the_history_says_so(call, engine, phones):
    call.deploy()
    started = call("POST", "/api/cases", user="clerk", json={"procedure": "household_transcript"}).json
    case_id = started["case_id"]
    change = {"officer": "clerk2", "reason": "陳怡君休假"}
    assert call("PUT", f"/api/cases/{case_id}/officer", user="clerk", json=change).status == 403
    assert call("PUT", f"/api/cases/{case_id}/officer", user="supervisor", json=change).status == 200
    again = call("PUT", f"/api/cases/{case_id}/officer", user="supervisor", json=change)
    assert again.status == 409
    nobody = call("PUT", f"/api/cases/{case_id}/officer", user="supervisor", json={**change, "officer": "auditor"})
    assert nobody.status == 422 and nobody.json["errors"][0]["field"] == "officer"
    detail = call("GET", f"/api/cases/{case_id}", user="clerk").json
    assert detail["officer"] == {"username": "clerk2", "name": "clerk2", "phone": None}
    activity = call("GET", f"/api/cases/{case_id}/activity", user="clerk").json
    officer_events = [entry for entry in activity if entry["type"] == "officer_assigned"]
    assert [entry["details"]["officer"] for entry in officer_events] == ["clerk", "clerk2"]
    assert (
        officer_events[-1]["details"] | {"previous_officer_name": "陳怡君", "reason": "陳怡君休假"}
        == officer_events[-1]["details"]
    )
    assert officer_events[-1]["actor"] == "supervisor"
    # The applicant now reads clerk2, who has no direct line: the office's number is there.
    public = call("GET", f"/api/public/cases/{started['number']}", query={"code": started["access_code"]}).json
    assert public["officer"] == {"name": "clerk2", "phone": None} and public["office"]["phone"]
    assert engine.verify_case(case_id).ok
    # My cases: the inbox of clerk2 shows the task of the case they are responsible for.
    mine = call("GET", "/api/tasks", user="clerk2", query={"officer": "me"}).json
    assert [task["case_id"] for task in mine["items"]] == [case_id]
    assert call("GET", "/api/tasks", user="clerk", query={"officer": "me"}).json["total"] == 0


def test_a_case_started_without_an_officer_gets_the_first_clerk_who_claims_it(call, engine):
    call.deploy()
    started = engine.handle(cmd.StartCase("household_transcript", {}, channel="online", actor="applicant"))
    case = call("GET", f"/api/cases/{started.case_id}", user="clerk").json
    assert case["officer"] is None
    task = open_task(engine, started.case_id, "review_online_application")
    assert call("POST", f"/api/tasks/{task.id}/claim", user="clerk2").status == 200
    assert call("GET", f"/api/cases/{started.case_id}", user="clerk").json["officer"]["username"] == "clerk2"


def test_the_notice_shows_what_is_missing_and_the_supplement_at_the_counter_counts_rounds(call, engine, birth):
    started = birth_after_notice(call, engine, ["birth_certificate"])
    case_id = started["case_id"]
    notice_task = open_task(engine, case_id, "issue_notice")
    task = call("GET", f"/api/tasks/{notice_task.id}", user="clerk").json
    # The household register confirmed the parent: the paper register is not asked for.
    assert task["documents"]["missing"] == ["national_id_card", "surname_agreement"]
    assert task["documents"]["deadline"] and task["documents"]["awaiting"] is False
    # Nothing to supplement before the notice is given.
    early = call("POST", f"/api/cases/{case_id}/supplements", user="clerk", json={"documents": ["national_id_card"]})
    assert early.status == 409
    complete_step(call, engine, case_id, "issue_notice", {"notice_delivered_by": "in_person"})
    detail = call("GET", f"/api/cases/{case_id}", user="clerk").json
    assert detail["documents"]["awaiting"] is True and detail["documents"]["rounds"] == 0
    public = call("GET", f"/api/public/cases/{started['number']}", query={"code": started["access_code"]}).json
    assert public["stage"] == "awaiting_documents"
    assert public["missing_documents"] == ["national_id_card", "surname_agreement"]
    assert public["supplement_deadline"] == detail["documents"]["deadline"]
    # The case view marks where it stands: the call activity of the document check, and inside it.
    assert {"check_documents", "await_documents"} <= set(detail["current_elements"])

    # A document that is not missing is refused, naming the field; nothing is recorded.
    wrong = call("POST", f"/api/cases/{case_id}/supplements", user="clerk", json={"documents": ["passport"]})
    assert wrong.status == 422 and wrong.json["errors"][0]["field"] == "documents"
    first = call("POST", f"/api/cases/{case_id}/supplements", user="clerk", json={"documents": ["national_id_card"]})
    assert first.status == 200
    # One still missing: a second notice, for it alone.
    second_notice = open_task(engine, case_id, "issue_notice")
    task = call("GET", f"/api/tasks/{second_notice.id}", user="clerk").json
    assert task["documents"]["missing"] == ["surname_agreement"] and task["documents"]["rounds"] == 1
    complete_step(call, engine, case_id, "issue_notice", {"notice_delivered_by": "sms"})
    supplement = {"documents": ["surname_agreement"], "note": "申請人親送"}
    assert call("POST", f"/api/cases/{case_id}/supplements", user="clerk", json=supplement).status == 200
    detail = call("GET", f"/api/cases/{case_id}", user="clerk").json
    assert detail["documents"] == {
        "missing": [],
        "presented": ["birth_certificate", "national_id_card", "surname_agreement"],
        "deadline": None,
        "rounds": 2,
        "notices": 2,
        "awaiting": False,
    }
    assert [task["element_id"] for task in detail["open_tasks"]] == ["register_birth"]
    supplied = [
        e for e in call("GET", f"/api/cases/{case_id}/activity", user="clerk").json if e["type"] == "message_delivered"
    ]
    assert [e["details"]["documents"] for e in supplied] == [["national_id_card"], ["surname_agreement"]]
    assert supplied[-1]["details"]["note"] == "申請人親送" and supplied[-1]["details"]["channel"] == "counter"
    assert engine.verify_case(case_id).ok


def test_withdrawn_at_the_applicants_request_and_cancelled_are_told_apart(call, engine):
    call.deploy()
    first = call("POST", "/api/cases", user="clerk", json={"procedure": "household_transcript"}).json
    second = call("POST", "/api/cases", user="clerk", json={"procedure": "household_transcript"}).json
    assert call("POST", f"/api/cases/{first['case_id']}/withdraw", user="clerk", json={"reason": " "}).status == 422
    assert (
        call("POST", f"/api/cases/{first['case_id']}/withdraw", user="clerk", json={"reason": "申請人撤回"}).status
        == 200
    )
    assert (
        call("POST", f"/api/cases/{second['case_id']}/cancel", user="clerk", json={"reason": "重複收件"}).status == 200
    )
    withdrawn = call("GET", f"/api/cases/{first['case_id']}", user="clerk").json
    cancelled = call("GET", f"/api/cases/{second['case_id']}", user="clerk").json
    assert (withdrawn["status"], withdrawn["close_kind"]) == ("cancelled", "withdrawn")
    assert (cancelled["status"], cancelled["close_kind"]) == ("cancelled", "cancelled")
    public = call("GET", f"/api/public/cases/{first['number']}", query={"code": first["access_code"]}).json
    assert public["stage"] == "withdrawn" and public["close_reason"] == "申請人撤回"
    assert engine.verify_case(first["case_id"]).ok


def test_notes_are_recorded_as_events_and_read_masked(call, engine):
    call.deploy()
    started = call("POST", "/api/cases", user="clerk", json={"procedure": "household_transcript"}).json
    case_id = started["case_id"]
    assert call("POST", f"/api/cases/{case_id}/notes", user="clerk", json={"text": "  "}).status == 422
    text = f"申請人來電，身分證 {VALID_ID}，下午補件"
    assert call("POST", f"/api/cases/{case_id}/notes", user="clerk", json={"text": text}).status == 201
    activity = call("GET", f"/api/cases/{case_id}/activity", user="clerk")
    [note] = [entry for entry in activity.json if entry["type"] == "note_added"]
    assert note["details"]["text"] == "申請人來電，身分證 A12****789，下午補件" and note["actor"] == "clerk"
    assert VALID_ID.encode() not in activity.body
    # Notes may be added to a closed case too (a call after the end).
    call("POST", f"/api/cases/{case_id}/cancel", user="clerk", json={"reason": "duplicate"})
    assert call("POST", f"/api/cases/{case_id}/notes", user="clerk", json={"text": "已退費"}).status == 201
    assert engine.verify_case(case_id).ok


def test_a_draft_is_kept_on_the_claimed_task_until_it_is_completed(call, engine):
    call.deploy()
    started = call("POST", "/api/cases", user="clerk", json={"procedure": "household_transcript"}).json
    task_id = started["open_tasks"][0]["id"]
    draft = {"applicant_name": "王小", "copies": 2}
    refused = call("PUT", f"/api/tasks/{task_id}/draft", user="clerk", json={"data": draft})
    assert refused.status == 409  # claim first: two clerks never type into one form
    call("POST", f"/api/tasks/{task_id}/claim", user="clerk")
    assert call("PUT", f"/api/tasks/{task_id}/draft", user="clerk2", json={"data": draft}).status == 409
    saved = call("PUT", f"/api/tasks/{task_id}/draft", user="clerk", json={"data": draft})
    assert saved.status == 200 and saved.json["saved_at"]
    task = call("GET", f"/api/tasks/{task_id}", user="clerk").json
    assert task["draft"] == draft and task["draft_saved_by"] == "clerk" and task["draft_saved_at"]
    # Released and claimed again: the draft is still there.
    call("POST", f"/api/tasks/{task_id}/unclaim", user="clerk")
    call("POST", f"/api/tasks/{task_id}/claim", user="clerk")
    assert call("GET", f"/api/tasks/{task_id}", user="clerk").json["draft"] == draft
    huge = {"note": "x" * 70_000}
    assert call("PUT", f"/api/tasks/{task_id}/draft", user="clerk", json={"data": huge}).status == 422
    call("POST", f"/api/tasks/{task_id}/complete", user="clerk", json={"data": RECEIVE})
    assert call("GET", f"/api/tasks/{task_id}", user="clerk").json["draft"] is None
    assert call("PUT", f"/api/tasks/{task_id}/draft", user="clerk", json={"data": draft}).status == 409


def test_a_task_is_handed_to_a_named_colleague_of_its_lane(call, engine):
    call.deploy()
    started = call("POST", "/api/cases", user="clerk", json={"procedure": "household_transcript"}).json
    task_id = started["open_tasks"][0]["id"]
    outsider = call("POST", f"/api/tasks/{task_id}/assign", user="clerk", json={"assignee": "records_clerk"})
    assert outsider.status == 422 and outsider.json["errors"][0]["field"] == "assignee"
    # A clerk of another group, who does not reach the case, is told the task does not exist.
    assert call("POST", f"/api/tasks/{task_id}/assign", user="records_clerk", json={"assignee": "clerk"}).status == 404
    assert call("POST", f"/api/tasks/{task_id}/assign", user="clerk", json={"assignee": "clerk2"}).status == 200
    task = call("GET", f"/api/tasks/{task_id}", user="clerk").json
    assert (task["status"], task["assignee"]) == ("claimed", "clerk2")
    # clerk2 holds it now: clerk cannot take it away; a supervisor can.
    assert call("POST", f"/api/tasks/{task_id}/assign", user="clerk", json={"assignee": "clerk"}).status == 409
    assert call("POST", f"/api/tasks/{task_id}/assign", user="supervisor", json={"assignee": "clerk"}).status == 200
    activity = call("GET", f"/api/cases/{started['case_id']}/activity", user="clerk").json
    assigned = [entry["details"]["assignee"] for entry in activity if entry["type"] == "task_assigned"]
    assert assigned == ["clerk2", "clerk"]
    staff = call("GET", "/api/staff", user="clerk", query={"group": "Clerk"}).json
    assert [person["username"] for person in staff] == ["clerk", "clerk2", "supervisor"]
    assert engine.verify_case(started["case_id"]).ok
