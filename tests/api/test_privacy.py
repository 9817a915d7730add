"""National ID numbers never appear in logs, and list views show them masked."""

from __future__ import annotations

from tests.engine.helpers import RECEIVE, VALID_ID

OTHER_ID = "F131104093"  # a second valid number, in the case data rather than the applicant
MASKED = "A12****789"


def carry_national_ids(call) -> str:
    """Requests that carry national ID numbers in bodies, in a path and in a failing request."""
    started = call(
        "POST",
        "/api/cases",
        user="clerk",
        json={
            "procedure": "household_transcript",
            "data": {"spouse_id": OTHER_ID},
            "applicant": {"name": "王小明", "national_id": VALID_ID},
        },
    )
    assert started.status == 201, started
    task_id = started.json["open_tasks"][0]["id"]
    refused = call("POST", f"/api/tasks/{task_id}/complete", user="clerk", json={"data": {**RECEIVE, "copies": 0}})
    assert refused.status == 422
    assert call("POST", f"/api/tasks/{task_id}/complete", user="clerk", json={"data": RECEIVE}).status == 200
    # Someone pastes a national ID where a case id goes: the path is logged, the number is not.
    assert call("GET", f"/api/cases/{VALID_ID}", user="clerk").status == 404
    assert call("GET", f"/api/public/cases/{VALID_ID}?code=X").status == 404
    return started.json["case_id"]


def test_national_ids_never_reach_the_log(call, app, transcript, tokens, log_lines):
    def explode():
        raise RuntimeError(f"something went wrong with applicant {VALID_ID}")

    app.add_url_rule("/api/explode-for-test", "explode_for_test", explode)
    carry_national_ids(call)
    assert call("GET", "/api/explode-for-test").status == 500
    log = "\n".join(log_lines)
    assert log.count('"message": "request"') >= 6  # the capture works: the requests were logged
    assert "unhandled error" in log and f"applicant {MASKED}" in log  # the traceback, masked
    assert f"/api/cases/{MASKED}" in log
    assert VALID_ID not in log and OTHER_ID not in log


def test_national_ids_never_reach_the_served_apps_output(http, served, transcript):
    carry_national_ids(http)
    output = served.log_text()
    assert output.count('"message": "request"') >= 6, output[-2000:]
    assert VALID_ID not in output and OTHER_ID not in output


def test_lists_mask_national_ids_and_details_show_them_to_staff(call, engine, transcript, tokens):
    case_id = carry_national_ids(call)
    engine.run_due_jobs()  # the household register answers: the transcript task opens
    cases = call("GET", "/api/cases", user="clerk")
    assert cases.json["items"][0]["applicant"] == {"name": "王小明", "national_id": MASKED}
    assert VALID_ID.encode() not in cases.body and OTHER_ID.encode() not in cases.body
    inbox = call("GET", "/api/tasks", user="clerk")
    assert inbox.json["total"] == 1 and VALID_ID.encode() not in inbox.body
    # The case itself shows the number in full to the clerk who works it, when asked for it.
    detail = call("GET", f"/api/cases/{case_id}", user="clerk").json
    assert detail["applicant"]["national_id"] == MASKED and detail["data"]["national_id"] == MASKED
    detail = call("GET", f"/api/cases/{case_id}", user="clerk", query={"unmask": "true"}).json
    assert detail["applicant"]["national_id"] == VALID_ID and detail["data"]["national_id"] == VALID_ID
    # History: masked unless asked for in full (auditors, supervisors).
    audited = call("GET", f"/api/cases/{case_id}/events", user="auditor", query={"unmask": "true"})
    supervised = call("GET", f"/api/cases/{case_id}/events", user="supervisor")
    assert VALID_ID.encode() in audited.body
    assert VALID_ID.encode() not in supervised.body and OTHER_ID.encode() not in supervised.body
    assert MASKED.encode() in supervised.body
