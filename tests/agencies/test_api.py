"""What the API shows of agency checks: a completion answers without waiting for the agency,
the evidence in a task's detail with national IDs masked, the failure on the manual task, and
the "agency gateway" health check."""

from __future__ import annotations

from ..api.conftest import app, call, client, tokens  # noqa: F401  (fixtures)
from ..engine.helpers import RECEIVE, VALID_ID

MASKED = "A12****789"


def received_over_the_api(call) -> str:
    started = call(
        "POST",
        "/api/cases",
        user="clerk",
        json={"procedure": "household_transcript", "applicant": {"name": "王小明", "national_id": VALID_ID}},
    )
    task_id = started.json["open_tasks"][0]["id"]
    done = call("POST", f"/api/tasks/{task_id}/complete", user="clerk", json={"data": RECEIVE})
    assert done.status == 200 and done.json["open_tasks"] == []
    return started.json["case_id"]


def test_no_request_waits_for_the_agency(call, engine, transcript, agencies):
    """Both requests answer before the agency is asked anything: the identity check is a job
    that the service runner performs afterwards (here: run_due_jobs, as a worker would)."""
    agencies.fault(mode="hang", hang_seconds=3)  # an agency that would hold up whoever asked it
    case_id = received_over_the_api(call)
    assert agencies.stats()["requests"] == 0
    agencies.clear()
    assert engine.run_due_jobs() == {"answered": 1}
    assert agencies.stats()["requests"] == 1
    issue = call("GET", f"/api/cases/{case_id}", user="clerk").json["open_tasks"]
    assert [task["element_id"] for task in issue] == ["issue_transcript"]


def test_task_detail_shows_the_evidence_masked(call, engine, transcript, agencies):
    case_id = received_over_the_api(call)
    engine.run_due_jobs()
    issue = call("GET", f"/api/cases/{case_id}", user="clerk").json["open_tasks"][0]
    detail = call("GET", f"/api/tasks/{issue['id']}", user="clerk")
    assert detail.status == 200
    [evidence] = detail.json["evidence"]
    assert evidence["operation"] == "household_registration/identity_check"
    assert evidence["agency"].startswith("內政部戶政司") and evidence["attempts"] == 1
    assert evidence["params"] == {"national_id": MASKED, "name": "王小明"}
    assert evidence["result"]["match"] is True and evidence["error"] is None
    assert VALID_ID not in str(detail.json["evidence"])


def test_the_manual_task_shows_the_agency_failure(call, engine, transcript, agencies, clock):
    agencies.fault(mode="error", status=503)
    case_id = received_over_the_api(call)
    for delay in (0, 2, 4):
        clock.advance(seconds=delay)
        engine.run_due_jobs()
    manual = call("GET", f"/api/cases/{case_id}", user="clerk").json["open_tasks"][0]
    assert manual["element_id"] == "verify_identity_manually"
    detail = call("GET", f"/api/tasks/{manual['id']}", user="clerk").json
    assert detail["case_data"]["agency_failure"]["code"] == "agency_unavailable"
    [evidence] = detail["evidence"]
    assert evidence["result"] is None and evidence["error"]["code"] == "agency_unavailable"
    assert evidence["attempts"] == 3 and "HTTP 503" in evidence["error"]["message"]
    done = call(
        "POST",
        f"/api/tasks/{manual['id']}/complete",
        user="clerk",
        json={
            "data": {
                "identity_confirmed": True,
                "checked_document": "national_id_card",
                "record_checked_by": "paper_register",
            }
        },
    )
    assert done.status == 200 and done.json["open_tasks"][0]["element_id"] == "issue_transcript"


def test_health_reports_the_agency_gateway(call, engine, transcript, agencies):
    health = call("GET", "/api/health")
    assert health.status == 200 and health.json["checks"]["agency_gateway"]["status"] == "ok"
    connectors = engine.components["agencies"]
    for connector in connectors.clients.values():
        connector.endpoint = connector.endpoint.__class__("http://127.0.0.1:9")  # nobody listens there
    down = call("GET", "/api/health")
    assert down.status == 503 and down.json["checks"]["agency_gateway"]["status"] == "down"
    assert down.json["checks"]["agency_gateway"]["agencies"]["household_registration"]["reachable"] is False
