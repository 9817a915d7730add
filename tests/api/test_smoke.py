from tests.engine.helpers import RECEIVE


def test_counter_to_rating_over_the_api(client, as_user, engine, transcript):
    started = client.post(
        "/api/cases",
        json={
            "procedure": "household_transcript",
            "data": {},
            "channel": "counter",
            "applicant": {"name": "王小明", "national_id": "A123456789"},
        },
        headers=as_user("clerk", **{"Idempotency-Key": "k1"}),
    )
    assert started.status_code == 201, started.json
    body = started.json
    assert body["receipt"]["received"]["applicant"]["national_id"] == "A12****789"
    task_id = body["open_tasks"][0]["id"]
    inbox = client.get("/api/tasks", headers=as_user("clerk")).json
    assert [t["id"] for t in inbox["items"]] == [task_id]
    assert inbox["items"][0]["case_due_at"] == body["receipt"]["due_at"]
    assert inbox["items"][0]["case_sla_state"] == "due_today"  # 4 office hours: due the same day
    early = client.get(f"/api/public/cases/{body['number']}?code={body['access_code']}").json
    assert early["can_rate"] is False and early["status"] == "running"  # the service is not done
    early_rating = client.post(
        f"/api/public/cases/{body['number']}/rating", json={"code": body["access_code"], "score": 5}
    )
    assert early_rating.status_code == 409 and "still being processed" in early_rating.json["detail"]
    detail = client.get(f"/api/tasks/{task_id}", headers=as_user("clerk")).json
    assert detail["form_schema"]["title"].startswith("受理")
    bad = client.post(f"/api/tasks/{task_id}/complete", json={"data": {"copies": 0}}, headers=as_user("clerk"))
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
    assert {e["field"] for e in bad.json["errors"]} >= {"copies"}
    assert client.post(f"/api/tasks/{task_id}/claim", headers=as_user("clerk")).status_code == 200
    assert (
        client.post(f"/api/tasks/{task_id}/complete", json={"data": RECEIVE}, headers=as_user("clerk2")).status_code
        == 409
    )
    done = client.post(f"/api/tasks/{task_id}/complete", json={"data": RECEIVE}, headers=as_user("clerk"))
    assert done.status_code == 200 and done.json["open_tasks"] == [], done.json  # the register is asked
    engine.run_due_jobs()
    issue_id = client.get(f"/api/cases/{body['case_id']}", headers=as_user("clerk")).json["open_tasks"][0]["id"]
    assert (
        client.post(
            f"/api/tasks/{issue_id}/complete", json={"data": {"fee_paid": 15}}, headers=as_user("clerk")
        ).status_code
        == 200
    )
    number, code = body["number"], body["access_code"]
    status = client.get(f"/api/public/cases/{number}?code={code}")
    assert status.status_code == 200 and status.json["status"] == "running", status.json
    assert status.json["can_rate"] is True and status.json["rated"] is False  # the rating step waits
    assert client.get(f"/api/public/cases/{number}?code=WRONG").status_code == 404
    rated = client.post(f"/api/public/cases/{number}/rating", json={"code": code, "score": 5})
    assert rated.status_code == 201, rated.json
    assert client.post(f"/api/public/cases/{number}/rating", json={"code": code, "score": 4}).status_code == 409
    case = client.get(f"/api/cases/{body['case_id']}", headers=as_user("supervisor")).json
    assert case["status"] == "completed" and case["data"]["rating_score"] == 5
    verify = client.get(f"/api/cases/{body['case_id']}/verify", headers=as_user("auditor")).json
    assert verify["ok"], verify
    events = client.get(f"/api/cases/{body['case_id']}/events", headers=as_user("auditor")).json
    assert [e["type"] for e in events][-2:] == ["rating_recorded", "case_completed"]
    answered = next(e["seq"] for e in events if e["type"] == "service_result_recorded")
    state = client.get(f"/api/cases/{body['case_id']}/state?at={answered}", headers=as_user("auditor")).json
    assert state["ready_tasks"][0]["element_id"] == "issue_transcript"
    again = client.post(
        "/api/cases",
        json={
            "procedure": "household_transcript",
            "data": {},
            "channel": "counter",
            "applicant": {"name": "王小明", "national_id": "A123456789"},
        },
        headers=as_user("clerk", **{"Idempotency-Key": "k1"}),
    )
    assert again.status_code == 200 and again.json["case_id"] == body["case_id"]
