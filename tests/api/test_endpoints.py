"""Every endpoint, once through Flask's test client and once over real HTTP against gunicorn.

The same walk runs on both transports: deploy the household transcript procedure by multipart
upload, take cases from the counter to the rating, read their history, and use the docs and
operations endpoints. Every answer is checked against the OpenAPI document the app serves, and
the walk must have used every route of the app's url_map.
"""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

import pytest
import schemathesis
from werkzeug.exceptions import MethodNotAllowed, NotFound

from api import get_engine
from engine import ProcedureFailed
from engine import commands as cmd
from tests.engine.helpers import RECEIVE, VALID_ID
from tests.security import hostile
from workflows.dgpa import to_dgpa_csv

from .conftest import PASSWORD, TRANSCRIPT_FILES
from .online_helpers import PDF, code_from

PROBLEM_JSON = "application/problem+json"


class Walk:
    """Calls through ``call`` and records which route of the app each request reached."""

    def __init__(self, call, app) -> None:
        self.call = call
        self.routes = app.url_map.bind("localhost")
        self.spec = schemathesis.openapi.from_dict(app.test_client().get("/api/openapi.json").json)
        self.covered: set[tuple[str, str]] = set()

    def __call__(self, method: str, path: str, expect: int, **kwargs):
        answer = self.call(method, path, **kwargs)
        assert answer.status == expect, f"{self.call.transport}: {method} {path} -> {answer!r}"
        try:
            rule, _ = self.routes.match(path.split("?")[0], method=method, return_rule=True)
            self.covered.add((rule.rule, method))
        except (NotFound, MethodNotAllowed):
            pass
        operation = self.spec.find_operation_by_path(method, path.split("?")[0])
        if operation is not None:
            operation.validate_response(answer.raw)  # the documented schema and content type
        if answer.status >= 400:
            assert answer.content_type == PROBLEM_JSON, answer
        return answer


def weekday_calendar(year: int, note: str = "") -> bytes:
    """A DGPA calendar file for ``year``: weekdays working, weekends off."""
    first = date(year, 1, 1)
    days = [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]
    return to_dgpa_csv({day: day.weekday() < 5 for day in days}, notes={first: note} if note else None)


def all_routes(app) -> set[tuple[str, str]]:
    return {(rule.rule, method) for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}}


def walk_every_endpoint(call, app) -> None:
    walk = Walk(call, app)

    # --- operations and docs
    health = walk("GET", "/api/health", 200).json
    assert health["status"] == "ok" and health["checks"]["database"]["status"] == "ok"
    node = walk("GET", "/api/health/node", 200).json  # this node alone, for the load balancer
    assert node == {"status": "ok", "checks": {"database": health["checks"]["database"]}}
    vocabulary = walk("GET", "/api/vocabulary", 200).json
    assert vocabulary["options"]["household_register"] == {"zh": "戶口名簿", "en": "Household register"}
    assert vocabulary["procedures"]["household_transcript"]["zh"] == "戶籍謄本申請"
    spec = walk("GET", "/api/openapi.json", 200).json
    assert spec["openapi"].startswith("3.") and "/api/cases" in spec["paths"]
    docs = walk("GET", "/api/docs", 200)
    assert b"swagger" in docs.body.lower() and b"/api/docs/assets/" in docs.body
    asset = walk("GET", "/api/docs/assets/swagger-ui-bundle.js", 200)
    assert len(asset.body) > 100_000
    # --- the web application: its page, its files, and only the listed packages of node_modules
    assert walk("GET", "/", 302).headers["Location"].endswith("/app/")
    assert b'src="/app/static/js/app.js"' in walk("GET", "/app/", 200).body
    assert b"import" in walk("GET", "/app/static/js/app.js", 200).body
    walk("GET", "/app/static/js/no-such-module.js", 404)
    assert len(walk("GET", "/app/vendor/bpmn-js/bpmn-modeler.production.min.js", 200).body) > 100_000
    walk("GET", "/app/vendor/axe-core/package.json", 200)
    walk("GET", "/app/vendor/left-pad/index.js", 404)  # not a listed package
    walk("GET", "/app/vendor/bpmn-js/../../../requirements.txt", 404)
    # Flask's default static route exists but serves nothing: an unknown file is a 404 problem.
    walk("GET", "/static/nothing-here.txt", 404)

    # --- designers: validate and deploy by multipart upload, then read back
    checked = walk(
        "POST",
        "/api/definitions/validate",
        200,
        user="designer",
        files=[(p.name, p.read_bytes()) for p in TRANSCRIPT_FILES],
    ).json
    assert checked["ok"] is True and checked["main_process_id"] == "household_transcript"
    offered = walk("GET", "/api/designer/extensions", 200, user="designer").json
    assert {"working_days_after", "office_hours_after"} <= {
        f["name"] for f in offered["script_functions"] if f["for_timers"]
    }
    previewed = walk(
        "POST",
        "/api/designer/deploy-preview",
        200,
        user="designer",
        files=[(p.name, p.read_bytes()) for p in TRANSCRIPT_FILES],
    ).json
    assert (previewed["verdict"], previewed["current_version"], previewed["errors"]) == ("executable", None, 0)
    deployed = walk(
        "POST", "/api/definitions", 201, user="designer", files=[(p.name, p.read_bytes()) for p in TRANSCRIPT_FILES]
    ).json
    assert (deployed["key"], deployed["version"], deployed["created"]) == ("household_transcript", 1, True)
    again = walk(
        "POST", "/api/definitions", 200, user="designer", files=[(p.name, p.read_bytes()) for p in TRANSCRIPT_FILES]
    ).json
    assert (again["version"], again["created"]) == (1, False)
    listed = walk("GET", "/api/definitions", 200, user="clerk").json
    assert [(d["key"], d["latest_version"], d["versions"]) for d in listed] == [("household_transcript", 1, 1)]
    detail = walk("GET", "/api/definitions/household_transcript", 200, user="auditor").json
    assert [v["version"] for v in detail["versions"]] == [1]
    version = walk("GET", "/api/definitions/household_transcript/versions/1", 200, user="designer").json
    assert version["files"] == sorted(p.name for p in TRANSCRIPT_FILES)
    xml = walk("GET", "/api/definitions/household_transcript/versions/1/bpmn", 200, user="designer")
    assert xml.content_type == "application/xml"
    assert xml.body == (TRANSCRIPT_FILES[0].parent / "household_transcript.bpmn").read_bytes()
    diff = walk("GET", "/api/definitions/household_transcript/diff?from=1&to=1", 200, user="designer").json
    assert diff["elements"] == {"added": [], "removed": [], "changed": []} and diff["files"]["changed"] == []
    walked = walk(
        "POST", "/api/definitions/household_transcript/versions/1/dry-run", 200, user="designer", json={"data": {}}
    ).json
    assert walked["completed"] is False and walked["waiting"][0]["element_id"] == "receive_application"
    preview = walk("GET", "/api/definitions/household_transcript/move-preview?from=1&to=1", 200, user="supervisor").json
    assert preview["blocked"] == [] and preview["truncated"] is False
    # Cases move only forward: with a single version there is nowhere to move them.
    refused = walk(
        "POST",
        "/api/definitions/household_transcript/moves",
        422,
        user="designer",
        json={"from_version": 1, "to_version": 1, "reason": "nothing to move"},
    ).json
    assert refused["errors"] == [{"field": "to_version", "message": "must be greater than 1"}]

    # --- a clerk takes a case at the counter, claims and completes its tasks
    started = walk(
        "POST",
        "/api/cases",
        201,
        user="clerk",
        headers={"Idempotency-Key": "walk-1"},
        json={
            "procedure": "household_transcript",
            "channel": "counter",
            "applicant": {"name": "王小明", "national_id": VALID_ID},
        },
    ).json
    case_id, number, code = started["case_id"], started["number"], started["access_code"]
    assert (
        started["receipt"]["case_number"] == number
        and started["receipt"]["received"]["applicant"]["national_id"] == "A12****789"
    )
    [receive] = started["open_tasks"]
    assert receive["element_id"] == "receive_application" and receive["lane"] == "Clerk"
    retried = walk(
        "POST",
        "/api/cases",
        200,
        user="clerk",
        headers={"Idempotency-Key": "walk-1"},
        json={
            "procedure": "household_transcript",
            "channel": "counter",
            "applicant": {"name": "王小明", "national_id": VALID_ID},
        },
    ).json
    assert (retried["case_id"], retried["existing"]) == (case_id, True)

    cases = walk("GET", "/api/cases", 200, user="clerk", query={"status": "running"}).json
    assert [c["id"] for c in cases["items"]] == [case_id] and cases["total"] == 1
    assert cases["items"][0]["applicant"]["national_id"] == "A12****789"
    assert cases["items"][0]["officer"]["username"] == "clerk" and cases["next"] is None
    found = walk("GET", "/api/cases", 200, user="clerk", query={"q": VALID_ID}).json
    assert [c["number"] for c in found["items"]] == [number] and VALID_ID not in str(found)
    colleagues = walk("GET", "/api/staff", 200, user="clerk", query={"group": "Clerk"}).json
    assert {"clerk", "clerk2"} <= {person["username"] for person in colleagues}
    walk("POST", f"/api/cases/{case_id}/notes", 201, user="clerk", json={"text": "申請人稍後補件"})
    walk("PUT", f"/api/cases/{case_id}/officer", 200, user="supervisor", json={"officer": "clerk2", "reason": "輪值"})
    activity = walk("GET", f"/api/cases/{case_id}/activity", 200, user="clerk").json
    assert [entry["type"] for entry in activity][-2:] == ["note_added", "officer_assigned"]
    case = walk("GET", f"/api/cases/{case_id}", 200, user="clerk").json
    assert case["status"] == "running" and [t["id"] for t in case["open_tasks"]] == [receive["id"]]
    inbox = walk("GET", "/api/tasks", 200, user="clerk").json
    assert [t["id"] for t in inbox["items"]] == [receive["id"]]
    task = walk("GET", f"/api/tasks/{receive['id']}", 200, user="clerk").json
    assert task["form_schema"]["required"] == ["national_id", "applicant_name", "scope", "copies"]
    assert task["case"]["number"] == number

    walk("POST", f"/api/tasks/{receive['id']}/claim", 200, user="clerk")
    assert walk("GET", "/api/tasks", 200, user="clerk", query={"assignee": "clerk"}).json["total"] == 1
    walk("PUT", f"/api/tasks/{receive['id']}/draft", 200, user="clerk", json={"data": {"copies": 2}})
    assert walk("GET", f"/api/tasks/{receive['id']}", 200, user="clerk").json["draft"] == {"copies": 2}
    walk("POST", f"/api/tasks/{receive['id']}/assign", 200, user="clerk", json={"assignee": "clerk2"})
    walk("POST", f"/api/tasks/{receive['id']}/assign", 200, user="supervisor", json={"assignee": "clerk"})
    walk("POST", f"/api/tasks/{receive['id']}/unclaim", 200, user="clerk")
    walk("POST", f"/api/tasks/{receive['id']}/claim", 200, user="clerk")
    done = walk("POST", f"/api/tasks/{receive['id']}/complete", 200, user="clerk", json={"data": RECEIVE}).json
    assert done["open_tasks"] == []  # the household register is asked first, by a worker
    [issue] = agency_answered(call, app, case_id)
    assert issue["element_id"] == "issue_transcript"
    walk("POST", f"/api/tasks/{issue['id']}/complete", 200, user="clerk", json={"data": {"fee_paid": 15}})

    # --- the applicant follows the case and rates it; the rating completes it
    public = walk("GET", f"/api/public/cases/{number}", 200, query={"code": code}).json
    assert public["status"] == "running" and public["rated"] is False
    assert "核發謄本 Issue transcript" in public["steps_done"]
    rated = walk("POST", f"/api/public/cases/{number}/rating", 201, json={"code": code, "score": 5}).json
    assert rated == {"number": number, "score": 5, "recorded": True}
    survey = walk("GET", f"/api/public/cases/{number}/survey", 200, query={"code": code}).json
    first_question = survey["questions"][0]["key"]
    answers = {"code": code, "answers": {first_question: 4}}
    assert walk("POST", f"/api/public/cases/{number}/survey", 201, json=answers).json["answered"] == {first_question: 4}

    # --- the counter queue: a ticket from the kiosk, called, served, linked to the case
    kinds = walk("GET", "/api/queue/services", 200).json
    ticket = walk("POST", "/api/queue/tickets", 201, user="clerk", json={"service": kinds[0]["service"]}).json
    called = walk("POST", "/api/queue/calls", 200, user="clerk", json={"counter": "1"}).json
    assert called["id"] == ticket["id"] and walk("GET", "/api/queue/board", 200).json["now_serving"]
    walk("POST", f"/api/queue/tickets/{ticket['id']}/start", 200, user="clerk")
    walk("POST", f"/api/queue/tickets/{ticket['id']}/cases", 200, user="clerk", json={"case_number": number})
    walk("POST", f"/api/queue/tickets/{ticket['id']}/finish", 200, user="clerk")
    gone = walk("POST", "/api/queue/tickets", 201, user="clerk", json={"service": kinds[0]["service"]}).json
    walk("POST", "/api/queue/calls", 200, user="clerk", json={"counter": "1"})
    walk("POST", f"/api/queue/tickets/{gone['id']}/no-show", 200, user="clerk")
    assert [t["status"] for t in walk("GET", "/api/queue/tickets", 200, user="clerk").json] == ["done", "no_show"]
    assert walk("GET", f"/api/cases/{case_id}", 200, user="supervisor").json["status"] == "completed"

    # --- a second case gets its rating as a BPMN message from a clerk; a third is cancelled
    second = walk("POST", "/api/cases", 201, user="supervisor", json={"procedure": "household_transcript"}).json
    receive2 = second["open_tasks"][0]["id"]
    walk("POST", f"/api/tasks/{receive2}/complete", 200, user="supervisor", json={"data": RECEIVE})
    issue2 = agency_answered(call, app, second["case_id"])[0]["id"]
    walk("POST", f"/api/tasks/{issue2}/complete", 200, user="supervisor", json={"data": {"fee_paid": 15}})
    messaged = walk(
        "POST",
        f"/api/cases/{second['case_id']}/messages/rating_received",
        200,
        user="clerk",
        json={"payload": {"score": 3}},
    ).json
    assert messaged["status"] == "completed" and messaged["open_tasks"] == []
    third = walk("POST", "/api/cases", 201, user="clerk", json={"procedure": "household_transcript"}).json
    cancelled = walk(
        "POST", f"/api/cases/{third['case_id']}/cancel", 200, user="clerk", json={"reason": "duplicate"}
    ).json
    assert cancelled["status"] == "cancelled"
    fourth = walk("POST", "/api/cases", 201, user="clerk", json={"procedure": "household_transcript"}).json
    withdrawn = walk(
        "POST", f"/api/cases/{fourth['case_id']}/withdraw", 200, user="clerk", json={"reason": "applicant withdrew"}
    ).json
    assert withdrawn["status"] == "cancelled"
    walk("POST", f"/api/cases/{fourth['case_id']}/supplements", 409, user="clerk", json={"documents": ["photo"]})

    # --- auditors read the history, a past state and the verification
    events = walk("GET", f"/api/cases/{case_id}/events", 200, user="auditor").json
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["type"] == "case_started" and events[-1]["type"] == "case_completed"
    rating = walk("GET", f"/api/cases/{case_id}/rating", 200, user="supervisor").json
    assert (rating["rated"], rating["score"]) == (True, 5)
    state = walk("GET", f"/api/cases/{case_id}/state", 200, user="auditor", query={"at": 1}).json
    assert [t["element_id"] for t in state["ready_tasks"]] == ["receive_application"]
    for some_case in (case_id, second["case_id"], third["case_id"], fourth["case_id"]):
        verified = walk("GET", f"/api/cases/{some_case}/verify", 200, user="auditor").json
        assert verified["ok"] is True and verified["problems"] == [], verified
    timeline = walk("GET", f"/api/cases/{case_id}/timeline", 200, user="auditor").json
    assert [entry["seq"] for entry in timeline["entries"]] == [e["seq"] for e in events]
    run = walk("POST", "/api/audit/verifications", 201, user="auditor", json={}).json
    assert run["ok"] is True and run["cases_checked"] == 4, run
    assert walk("GET", "/api/audit/verifications", 200, user="auditor").json["items"][0]["id"] == run["id"]
    assert walk("GET", "/api/audit/anchors", 200, user="auditor").json == []
    assert walk("GET", "/api/audit/anchors/verify", 200, user="auditor").json["ok"] is True
    assert walk("GET", "/api/audit/keys", 200).json == {"format": "onestop-public-keys/1", "keys": []}
    proof = walk("GET", f"/api/cases/{case_id}/proof", 200, user="auditor").json
    assert proof["proofs"] == [] and [e["seq"] for e in proof["events"]] == [e["seq"] for e in events]
    assert walk("GET", "/api/audit/consistency", 200, user="auditor", query={"from": 0}).json["to_days"] == 0
    walk("GET", "/api/audit/roots/2026-03", 409, user="auditor")  # the test server has no signing key
    number = walk("GET", f"/api/cases/{case_id}", 200, user="auditor").json["number"]
    walk("GET", f"/api/public/cases/{number}/proof", 404, query={"code": "WRONG123"})
    assert walk("GET", "/api/audit/personal-data-reads", 200, user="auditor").json["total"] >= 0
    assert "sla" in {report["name"] for report in walk("GET", "/api/reports", 200, user="supervisor").json}
    sla = walk("GET", "/api/reports/sla", 200, user="supervisor").json
    assert sla["rows"][0]["procedure"] == "household_transcript", sla
    review = walk("GET", "/api/reports/review", 200, user="supervisor").json
    assert review["indicators"][0]["indicator"] == "sla_compliance"
    walk("PUT", "/api/reports/targets/satisfaction", 200, user="supervisor", json={"target": 0.9, "amber": 0.05})
    assert {t["indicator"] for t in walk("GET", "/api/reports/targets", 200, user="auditor").json} >= {"satisfaction"}
    annual = walk("GET", "/api/reports/annual", 200, user="auditor", query={"format": "csv"})
    assert annual.body.startswith(b"section,indicator")
    found = walk("GET", "/api/improvement/findings", 200, user="designer", query={"from": "2026-03-01"}).json
    assert found["cases_received"] >= 0 and isinstance(found["candidates"], list)
    walk("POST", "/api/improvement/what-ifs", 422, user="designer", json={"from": "2026-03-01", "to": "2026-03-02"})
    assert walk("GET", "/api/improvement/what-ifs", 200, user="auditor").json == []
    walk("GET", "/api/improvement/what-ifs/1", 404, user="auditor")
    walk("GET", "/api/improvement/effects/household_transcript/9", 404, user="supervisor")
    assert walk("GET", "/api/mining/xes", 200, user="auditor").body.count(b"<trace>") == 4
    assert len(walk("GET", "/api/mining/ocel", 200, user="auditor").json["objects"]) >= 3

    # --- the office calendar: days, an imported DGPA edition, an override and its revocation
    days = walk("GET", "/api/calendar/days", 200, user="clerk", query={"from": "2026-03-02", "to": "2026-03-08"}).json
    assert [d["working"] for d in days] == [True] * 5 + [False] * 2
    dgpa = ("file", "2027.csv", weekday_calendar(2027))
    edition = walk("POST", "/api/calendar/editions", 201, user="admin", form_files=[dgpa]).json
    assert edition["created"] is True
    assert walk("POST", "/api/calendar/editions", 200, user="admin", form_files=[dgpa]).json["created"] is False
    assert [e["year"] for e in walk("GET", "/api/calendar/editions", 200, user="clerk").json] == [2027]
    override = walk(
        "POST",
        "/api/calendar/overrides",
        201,
        user="supervisor",
        json={"day": "2026-03-20", "working": False, "reason": "颱風停班 typhoon"},
    ).json
    assert override["changed_days"] == ["2026-03-20"]
    [listed_override] = walk("GET", "/api/calendar/overrides", 200, user="clerk").json
    assert listed_override["id"] == override["id"] and listed_override["revoked_at"] is None
    walk("POST", "/api/calendar/revocations", 200, user="supervisor", json={"override_id": override["id"]})
    assert walk("GET", "/api/calendar/overrides", 200, user="clerk").json[0]["revoked_by"] == "supervisor"
    assert isinstance(walk("GET", "/api/notifications", 200, user="auditor").json, list)
    assert isinstance(walk("GET", "/api/development/messages", 200, user="auditor").json, list)

    walk_online_application(walk, call, app)

    # --- metrics count what happened
    metrics = walk("GET", "/metrics", 200).body.decode()
    assert 'onestop_cases{status="completed"} 2.0' in metrics
    assert 'onestop_cases{status="cancelled"} 2.0' in metrics
    assert "onestop_http_request_duration_seconds_bucket" in metrics

    # --- incidents: a case whose step after its timer fails is held; retried with a fix, cancelled
    key, files = hostile.procedure("huge_power", "script", wait='"PT0S"')
    walk("POST", "/api/definitions", 201, user="designer", files=list(files.items()))
    held = [incident_of(call, app, key) for _ in range(2)]
    listed = walk("GET", "/api/incidents", 200, user="supervisor", query={"status": "open", "procedure": key}).json
    assert sorted(item["id"] for item in listed["items"]) == sorted(item["id"] for item in held)
    first = walk("GET", f"/api/incidents/{held[0]['id']}", 200, user="admin").json
    assert (first["element_id"], first["kind"], first["attempts"]) == ("hostile", "resource_limit", 1)
    retried = walk(
        "POST",
        f"/api/incidents/{held[0]['id']}/retry",
        200,
        user="supervisor",
        json={"reason": "n was mistyped", "data": {"n": 2}},
    ).json
    assert retried["incident"]["resolution"] == "retried" and retried["case"]["open_tasks"][0]["element_id"] == "after"
    cancelled = walk(
        "POST", f"/api/incidents/{held[1]['id']}/cancel", 200, user="supervisor", json={"reason": "given up"}
    ).json
    assert cancelled["case"]["status"] == "cancelled" and cancelled["incident"]["resolution"] == "cancelled"

    # --- sign in with a password, use the token, sign out
    login = walk("POST", "/api/auth/token", 201, json={"username": "clerk", "password": PASSWORD}).json
    assert login["user"] == {"username": "clerk", "display_name": None, "roles": ["clerk"], "groups": ["Clerk"]}
    walk("GET", "/api/tasks", 200, user=login["token"])
    walk("DELETE", "/api/auth/token", 204, user=login["token"])
    walk("GET", "/api/tasks", 401, user=login["token"])

    # --- offices: the directory, a second office, a case sent there (跨區通辦)
    walk("PUT", "/api/offices/main", 200, user="admin", json={"name": "中正戶政事務所", "phone": "02-2341-1234"})
    walk("PUT", "/api/offices/B1", 200, user="admin", json={"name": "分所", "region": "臺北市", "district": "大安區"})
    assert [o["code"] for o in walk("GET", "/api/offices", 200, user="clerk").json] == ["B1", "main"]
    assert walk("GET", "/api/offices/B1", 200, user="clerk").json["district"] == "大安區"
    sent = walk("POST", "/api/cases", 201, user="clerk", json={"procedure": "household_transcript"}).json
    moved = {"office": "B1", "reason": "戶籍地在大安區"}
    walk("POST", f"/api/cases/{sent['case_id']}/transfer", 200, user="supervisor", json=moved)
    assert walk("GET", f"/api/cases/{sent['case_id']}", 200, user="clerk").json["office"] == "B1"
    compared = walk("GET", "/api/reports/offices", 200, user="auditor").json
    assert {row["code"]: row["open"] for row in compared["offices"]}["B1"] == 1

    missing = all_routes(app) - walk.covered
    assert not missing, f"{call.transport}: the walk did not reach {sorted(missing)}"


def walk_online_application(walk, call, app) -> None:
    """An applicant verifies by SMS code and applies online; a clerk attaches a scan and opens it."""
    offered = walk("GET", "/api/online/procedures", 200).json
    assert [item["procedure"] for item in offered] == ["household_transcript"]
    phone = "0912000111"
    sent = walk(
        "POST", "/api/online/codes", 202, json={"national_id": VALID_ID, "channel": "sms", "destination": phone}
    ).json
    code = sent_code(call, app, phone)
    applicant = walk("POST", f"/api/online/codes/{sent['challenge_id']}", 201, json={"code": code}).json
    assert walk("GET", "/api/online/session", 200, user=applicant["token"]).json["national_id"] == "A12****789"
    form = {"applicant_name": "王小明", "scope": "full", "copies": 1}
    applied = walk(
        "POST",
        "/api/online/applications",
        201,
        user=applicant["token"],
        form={"procedure": "household_transcript", "data": json.dumps(form)},
    ).json
    case = next(
        c for c in walk("GET", "/api/cases", 200, user="clerk").json["items"] if c["number"] == applied["number"]
    )
    assert case["channel"] == "online"
    scan = ("documents.national_id_card", "id.pdf", PDF)
    walk("POST", f"/api/cases/{case['id']}/documents", 200, user="clerk", form_files=[scan])
    [document] = walk("GET", f"/api/cases/{case['id']}/documents", 200, user="clerk").json
    opened = walk("GET", f"/api/cases/{case['id']}/documents/{document['id']}", 200, user="clerk")
    assert opened.body == PDF and opened.content_type == "application/pdf"
    # A transcript has no document check: it never waits for a supplement.
    walk(
        "POST",
        f"/api/online/cases/{applied['number']}/documents",
        409,
        form={"code": applied["access_code"]},
        form_files=[scan],
    )
    walk("DELETE", "/api/online/session", 204, user=applicant["token"])
    walk("GET", "/api/online/session", 401, user=applicant["token"])


def sent_code(call, app, destination: str) -> str:
    """The code the development mailbox received (in-process, the outbox is delivered here;
    the served app's scheduler delivers it by itself)."""
    deadline = time.monotonic() + 20
    while True:
        if call.transport == "flask-test-client":
            app.extensions["onestop_outbox"].deliver_due()
        messages = call("GET", "/api/development/messages", user="auditor").json
        found = [message for message in messages if message["recipient"] == destination]
        if found:
            return code_from(found[0]["body"])
        assert time.monotonic() < deadline, "no code was delivered"
        time.sleep(0.1)


def agency_answered(call, app, case_id: str) -> list:
    """The case's open tasks once the household register answered. In-process nobody else
    runs the job; against gunicorn its embedded scheduler does, a moment later."""
    if call.transport == "flask-test-client":
        get_engine(app).run_due_jobs()
    deadline = time.monotonic() + 20
    while True:
        tasks = call("GET", f"/api/cases/{case_id}", user="supervisor").json["open_tasks"]
        if tasks or time.monotonic() > deadline:
            return tasks
        time.sleep(0.05)


def incident_of(call, app, procedure: str) -> dict:
    """Start a case of ``procedure`` and return the incident its first timer leads to. In-process
    the test fires the timer; against gunicorn its embedded scheduler does, a moment later."""
    started = call("POST", "/api/cases", user="clerk", json={"procedure": procedure, "data": hostile.CASE_DATA}).json
    if call.transport == "flask-test-client":
        engine = get_engine(app)
        engine.clock.set(engine.clock.now() + timedelta(seconds=1))
        with pytest.raises(ProcedureFailed):
            engine.handle(cmd.FireDueTimers(started["case_id"]))
    deadline = time.monotonic() + 30
    while True:
        found = call("GET", "/api/incidents", user="supervisor", query={"case_id": started["case_id"]}).json["items"]
        if found or time.monotonic() > deadline:
            assert found, f"no incident for case {started['case_id']}"
            return found[0]
        time.sleep(0.05)


def test_every_endpoint_through_the_flask_test_client(call, app):
    walk_every_endpoint(call, app)


def test_every_endpoint_over_http_against_gunicorn(http, app, served):
    walk_every_endpoint(http, app)
    # The served app wrote its structured request log lines.
    assert '"message": "request"' in served.log_text()
