"""The role × case-access matrix: every staff member against every endpoint that reads or acts on
one case, for a case with work in their lane and for one without.

A clerk or supervisor reaches a case in which a lane of theirs has or had work; a clerk with no
group reaches none; auditors and admins reach every case. A case out of reach is answered 404,
exactly as a case that does not exist; a role the endpoint does not admit gets 403 first.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from engine import CaseAccess, NotFound
from engine import commands as cmd
from engine.storage import Notification, Task
from tests.api.online_helpers import PDF, PNG
from tests.engine.helpers import RECEIVE, VALID_ID, open_tasks

from .conftest import STAFF, _create_users

READERS = {"clerk", "supervisor", "auditor", "admin"}  # CASE_READERS of api/auth.py
WORKERS = {"clerk", "supervisor"}
HISTORY = {"supervisor", "auditor", "admin"}
# Who reaches a case whose work is in lane "Clerk" (the household transcript's).
REACHES_CLERK_CASE = {"clerk", "supervisor", "auditor", "admin"}


def roles_of(user: str) -> set[str]:
    return set(STAFF[user][0])


def start_case(engine) -> str:
    started = engine.handle(
        cmd.StartCase("household_transcript", {}, actor="clerk", applicant={"name": "王小明", "national_id": VALID_ID})
    )
    return started.case_id


# endpoint -> (roles admitted, request builder (case_id, task_id) -> (method, path, json))
ENDPOINTS = {
    "case": (READERS, lambda case, task: ("GET", f"/api/cases/{case}", None)),
    "state": (HISTORY, lambda case, task: ("GET", f"/api/cases/{case}/state", None)),
    "events": (HISTORY, lambda case, task: ("GET", f"/api/cases/{case}/events", None)),
    "timeline": (HISTORY, lambda case, task: ("GET", f"/api/cases/{case}/timeline", None)),
    "verify": (HISTORY, lambda case, task: ("GET", f"/api/cases/{case}/verify", None)),
    "verification run": (HISTORY, lambda case, task: ("POST", "/api/audit/verifications", {"case_id": case})),
    "proof": (HISTORY, lambda case, task: ("GET", f"/api/cases/{case}/proof", None)),
    "activity": (READERS, lambda case, task: ("GET", f"/api/cases/{case}/activity", None)),
    "message": (
        WORKERS,
        lambda case, task: ("POST", f"/api/cases/{case}/messages/rating_received", {"payload": {}}),
    ),
    "cancel": (WORKERS, lambda case, task: ("POST", f"/api/cases/{case}/cancel", {"reason": "withdrawn"})),
}
# A message the case does not wait for is a 409 once the case is reached: access is checked first.
REACHED_STATUS = {"message": 409, "verification run": 201}


def expected(user: str, endpoint: str) -> int:
    admitted, _ = ENDPOINTS[endpoint]
    if not roles_of(user) & admitted:
        return 403
    if user not in REACHES_CLERK_CASE:
        return 404
    return REACHED_STATUS.get(endpoint, 200)


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_each_role_reaches_only_the_cases_of_its_lanes(call, engine, transcript, tokens, endpoint):
    seen, wanted = {}, {}
    for user in STAFF:
        case_id = start_case(engine)  # a fresh case each time: cancel changes it
        [task] = open_tasks(engine, case_id)
        method, path, body = ENDPOINTS[endpoint][1](case_id, task.id)
        answer = call(method, path, user=user, json=body)
        seen[user], wanted[user] = answer.status, expected(user, endpoint)
        if answer.status == 404:  # out of reach reads exactly like a case that does not exist
            assert "does not exist" in answer.json["detail"], answer
    assert seen == wanted


def test_the_case_list_and_exports_hold_only_reachable_cases(call, engine, transcript, tokens):
    case_id = start_case(engine)
    number = call("GET", f"/api/cases/{case_id}", user="clerk").json["number"]
    for user in ("clerk", "records_clerk", "groupless_clerk", "supervisor", "other_supervisor", "auditor", "admin"):
        listed = call("GET", "/api/cases", user=user).json
        assert ([item["id"] for item in listed["items"]] == [case_id]) is (user in REACHES_CLERK_CASE), user
        assert listed["total"] == (1 if user in REACHES_CLERK_CASE else 0), user
    for user in ("supervisor", "other_supervisor", "auditor", "admin"):
        xes = call("GET", "/api/mining/xes", user=user)
        ocel = call("GET", "/api/mining/ocel", user=user)
        assert xes.status == ocel.status == 200
        assert (number.encode() in xes.body) is (user in REACHES_CLERK_CASE), user
        assert (number.encode() in ocel.body) is (user in REACHES_CLERK_CASE), user


def test_the_outbox_holds_only_messages_about_reachable_cases(call, engine, transcript, tokens, clock):
    """A supervisor reads what was sent about their groups' cases (and about no case), not what
    went to another group's applicants."""
    reached, elsewhere = start_case(engine), start_case(engine)
    with engine.write() as session:
        session.execute(update(Task).where(Task.case_id == elsewhere).values(lane="Records"))
        for key, case_id in (("reached", reached), ("elsewhere", elsewhere), ("office", None)):
            session.add(
                Notification(
                    dedupe_key=key, case_id=case_id, kind="receipt", audience="applicant", channel="email",
                    recipient=f"{key}@example.org", subject=key, body=key, status="sent",
                    next_attempt_at=clock.now(), created_at=clock.now(),
                )
            )  # fmt: skip
    for user, wanted in (
        ("supervisor", {"reached", "office"}),
        ("other_supervisor", {"office"}),
        ("auditor", {"reached", "elsewhere", "office"}),
    ):
        outbox = call("GET", "/api/notifications", user=user).json
        assert {item["subject"] for item in outbox} == wanted, user
    assert call("GET", "/api/notifications", user="other_supervisor", query={"case_id": reached}).json == []


def test_verification_runs_are_listed_as_their_cases_are_reached(call, engine, transcript, tokens):
    case_id = start_case(engine)
    assert call("POST", "/api/audit/verifications", user="supervisor", json={"case_id": case_id}).status == 201
    assert call("POST", "/api/audit/verifications", user="auditor", json={}).status == 201  # the whole office
    for user, runs in (("supervisor", 1), ("other_supervisor", 0), ("auditor", 2)):
        listed = call("GET", "/api/audit/verifications", user=user).json
        assert (len(listed["items"]), listed["total"]) == (runs, runs), user
    assert (
        call("GET", "/api/audit/verifications", user="other_supervisor", query={"case_id": case_id}).json["total"] == 0
    )


def test_a_lane_that_had_work_still_reaches_the_case(call, engine, transcript, tokens):
    """Work done (or stopped) in a lane keeps the case within that lane's reach."""
    case_id = start_case(engine)
    assert call("POST", f"/api/cases/{case_id}/cancel", user="supervisor", json={"reason": "withdrawn"}).status == 200
    assert open_tasks(engine, case_id) == []
    assert call("GET", f"/api/cases/{case_id}", user="clerk").status == 200
    assert call("GET", f"/api/cases/{case_id}", user="records_clerk").status == 404


def test_a_supervisor_reaches_a_case_once_work_reaches_their_group(call, engine, transcript, tokens, clock):
    """Lane "Supervisor" gets work when the SLA is breached (review_delay): its supervisor reaches
    the case from then on, not before."""
    token = _create_users(engine, {"delay_supervisor": (["supervisor"], ["Supervisor"])})["delay_supervisor"]
    case_id = start_case(engine)
    [task] = open_tasks(engine, case_id)
    engine.handle(cmd.CompleteTask(task.id, "clerk", RECEIVE))
    engine.run_due_jobs()  # the household register answers: issue_transcript opens, with its SLA timer
    assert call("GET", f"/api/cases/{case_id}", user=token).status == 404
    clock.advance(days=30)
    engine.handle(cmd.FireDueTimers(case_id))
    assert any(t.lane == "Supervisor" for t in open_tasks(engine, case_id))
    assert call("GET", f"/api/cases/{case_id}", user=token).status == 200


def test_a_cancel_out_of_reach_changes_nothing(call, engine, transcript, tokens):
    case_id = start_case(engine)
    assert call("POST", f"/api/cases/{case_id}/cancel", user="records_clerk", json={"reason": "x"}).status == 404
    assert call("GET", f"/api/cases/{case_id}", user="clerk").json["status"] == "running"
    with pytest.raises(NotFound):  # the engine's own command refuses it, whoever sends it
        engine.handle(cmd.CancelCase(case_id, "x", actor="r", access=CaseAccess.of("r", ["clerk"], ["Records"])))


DOCUMENT_ENDPOINTS = {
    "documents": (READERS, "GET", "/api/cases/{case}/documents"),
    "document": (READERS, "GET", "/api/cases/{case}/documents/{document}"),
    "attach": (WORKERS, "POST", "/api/cases/{case}/documents"),
}


@pytest.mark.parametrize("endpoint", sorted(DOCUMENT_ENDPOINTS))
def test_the_files_of_a_case_are_reached_as_the_case_is(call, engine, transcript, tokens, endpoint):
    admitted, method, template = DOCUMENT_ENDPOINTS[endpoint]
    seen, wanted = {}, {}
    for user in STAFF:
        case_id = start_case(engine)
        engine.handle(cmd.AttachDocuments(case_id, (cmd.Upload("id.pdf", PDF, "national_id_card"),), actor="clerk"))
        [document] = call("GET", f"/api/cases/{case_id}/documents", user="admin").json
        path = template.format(case=case_id, document=document["id"])
        upload = [("documents.photo", "photo.png", PNG)] if method == "POST" else None
        answer = call(method, path, user=user, form_files=upload)
        seen[user] = answer.status
        wanted[user] = 403 if not roles_of(user) & admitted else 200 if user in REACHES_CLERK_CASE else 404
        if answer.status == 404:
            assert "does not exist" in answer.json["detail"], answer
    assert seen == wanted
