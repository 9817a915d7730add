"""Every error is application/problem+json with a stable ``type``, and no input is a 500.

Each answer is also checked against the OpenAPI document (without its catch-all ``default``
response): the status is documented for the operation and the body is a Problem.
"""

from __future__ import annotations

import io
import zipfile
from urllib.parse import unquote

import pytest
import schemathesis

from engine import commands as cmd
from tests.engine.helpers import RECEIVE, VALID_ID, open_tasks

from ..conftest import ROOT
from .conftest import TRANSCRIPT_FILES
from .test_openapi_fuzz import without_default_responses

TYPES = "https://onestop.example/problems/"


@pytest.fixture
def strict_spec(app):
    return schemathesis.openapi.from_dict(without_default_responses(app.test_client().get("/api/openapi.json").json))


@pytest.fixture
def problem(call, strict_spec):
    """Make a request and check the answer is the expected problem; returns its body."""

    def check(status: int, kind: str, method: str, path: str, **kwargs) -> dict:
        answer = call(method, path, **kwargs)
        assert answer.status == status, answer
        assert answer.content_type == "application/problem+json", answer
        body = answer.json
        assert body["type"] == TYPES + kind, body
        assert body["status"] == status and body["title"] and body["detail"], body
        assert body["instance"] == unquote(path.split("?")[0])
        operation = strict_spec.find_operation_by_path(method, path.split("?")[0])
        if operation is not None:
            assert operation.responses.find_by_status_code(status) is not None, f"{status} undocumented for {path}"
            operation.validate_response(answer.raw)
        body["_headers"] = answer.headers
        return body

    return check


@pytest.fixture
def case(engine, transcript, tokens):
    return engine.handle(
        cmd.StartCase("household_transcript", {}, actor="clerk", applicant={"name": "王小明", "national_id": VALID_ID})
    )


def fields_named(body) -> set[str]:
    return {error["field"] for error in body.get("errors", [])}


# ---------------------------------------------------------------- the kinds of error
def test_unknown_route_is_404(problem, tokens):
    problem(404, "not-found", "GET", "/api/nothing-here", user="clerk")
    problem(404, "not-found", "GET", "/nothing/at/all")


def test_wrong_method_is_405_with_allow(problem, tokens):
    body = problem(405, "method-not-allowed", "DELETE", "/api/cases", user="clerk")
    assert set(body["_headers"]["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    problem(405, "method-not-allowed", "PUT", "/api/health")


def test_malformed_json_is_400(problem, tokens):
    # (JSON nested deeper than Python's parser can build is a 422 naming the field: tests/security/test_limits_depth.py)
    for raw in (b'{"procedure": ', b"\xff\xfe not utf-8", b'{"data": {"n": ' + b"9" * 5000 + b"}}"):
        body = problem(
            400,
            "bad-request",
            "POST",
            "/api/cases",
            user="clerk",
            data=raw,
            headers={"Content-Type": "application/json"},
        )
        assert body["errors"][0]["message"].startswith("Invalid JSON body"), body


def test_schema_errors_are_422_naming_each_field(problem, tokens):
    body = problem(
        422,
        "invalid-input",
        "POST",
        "/api/cases",
        user="clerk",
        json={"procedure": "", "channel": "fax", "extra": 1, "applicant": {"national_id": "123"}},
    )
    assert fields_named(body) == {"procedure", "channel", "extra", "applicant.national_id"}
    body = problem(422, "invalid-input", "POST", "/api/cases", user="clerk", json={})
    assert fields_named(body) == {"procedure"}
    body = problem(422, "invalid-input", "GET", "/api/cases?per_page=0&status=lost&sort=name", user="clerk")
    assert fields_named(body) == {"per_page", "status", "sort"}
    body = problem(422, "invalid-input", "GET", "/api/cases?after=not-one-of-ours", user="clerk")
    assert fields_named(body) == {"after"}


def test_form_data_that_does_not_match_the_task_form_is_422_naming_the_fields(problem, engine, case):
    [task] = open_tasks(engine, case.case_id)
    body = problem(
        422,
        "invalid-input",
        "POST",
        f"/api/tasks/{task.id}/complete",
        user="clerk",
        json={"data": {**RECEIVE, "copies": 0, "scope": "all"}},
    )
    assert fields_named(body) == {"copies", "scope"}


def test_an_unknown_procedure_is_422_naming_the_field(problem, tokens):
    body = problem(422, "invalid-input", "POST", "/api/cases", user="clerk", json={"procedure": "no_such_thing"})
    assert fields_named(body) == {"procedure"}


def test_conflicts_are_409(problem, call, engine, case):
    [task] = open_tasks(engine, case.case_id)
    assert call("POST", f"/api/tasks/{task.id}/claim", user="clerk").status == 200
    problem(409, "conflict", "POST", f"/api/tasks/{task.id}/claim", user="clerk2")
    problem(409, "conflict", "POST", f"/api/tasks/{task.id}/complete", user="clerk2", json={"data": RECEIVE})
    assert call("POST", f"/api/tasks/{task.id}/complete", user="clerk", json={"data": RECEIVE}).status == 200
    problem(409, "conflict", "POST", f"/api/tasks/{task.id}/complete", user="clerk", json={"data": RECEIVE})
    problem(
        409,
        "conflict",
        "POST",
        f"/api/cases/{case.case_id}/messages/no_such_message",
        user="clerk",
        json={"payload": None},
    )
    assert call("POST", f"/api/cases/{case.case_id}/cancel", user="clerk", json={"reason": "withdrawn"}).status == 200
    problem(409, "conflict", "POST", f"/api/cases/{case.case_id}/cancel", user="clerk", json={"reason": "again"})


def test_missing_auth_is_401_and_a_wrong_role_403(problem, tokens):
    body = problem(401, "unauthorized", "GET", "/api/cases")
    assert body["_headers"]["WWW-Authenticate"].startswith("Bearer")
    problem(401, "unauthorized", "POST", "/api/auth/token", json={"username": "clerk", "password": "wrong"})
    problem(403, "forbidden", "GET", "/api/cases", user="designer")
    # The caller is checked before the body: an anonymous caller learns nothing about the input.
    problem(401, "unauthorized", "POST", "/api/cases", json={"nonsense": True})
    problem(403, "forbidden", "POST", "/api/cases", user="auditor", json={"nonsense": True})


def test_wrong_access_codes_are_rate_limited_with_429(problem, call, engine, case):
    path = f"/api/public/cases/{case.number}"
    for attempt in range(5):
        problem(404, "not-found", "GET", f"{path}?code=WRONG{attempt}")
    body = problem(429, "too-many-requests", "GET", f"{path}?code={case.access_code}")
    assert int(body["_headers"]["Retry-After"]) == 15 * 60
    problem(429, "too-many-requests", "POST", f"{path}/rating", json={"code": case.access_code, "score": 5})
    # Another case number is not affected; after the window the right code works again.
    assert call("GET", f"/api/public/cases/2026-999999?code={case.access_code}").status == 404
    engine.clock.advance(minutes=15, seconds=1)
    assert call("GET", f"{path}?code={case.access_code}").status == 200


def test_a_strangers_wrong_codes_do_not_lock_the_applicant_out(client, engine, case):
    path = f"/api/public/cases/{case.number}"
    stranger, applicant = {"REMOTE_ADDR": "203.0.113.9"}, {"REMOTE_ADDR": "198.51.100.7"}
    for attempt in range(5):
        assert client.get(f"{path}?code=WRONG{attempt}", environ_base=stranger).status_code == 404
    assert client.get(f"{path}?code={case.access_code}", environ_base=stranger).status_code == 429
    assert client.get(f"{path}?code={case.access_code}", environ_base=applicant).status_code == 200


def test_guessing_across_many_case_numbers_is_slowed_down_too(client, engine, case):
    guesser = {"REMOTE_ADDR": "203.0.113.10"}
    for number in range(30):  # one wrong code for each of 30 case numbers
        assert client.get(f"/api/public/cases/2026-{number:06d}?code=WRONG", environ_base=guesser).status_code == 404
    answer = client.get(f"/api/public/cases/{case.number}?code={case.access_code}", environ_base=guesser)
    assert answer.status_code == 429 and answer.content_type == "application/problem+json"


def test_an_invalid_procedure_is_422_with_findings_naming_elements(problem, tokens):
    bpmn = (TRANSCRIPT_FILES[0].parent / "household_transcript.bpmn").read_bytes()
    broken = bpmn.replace(
        b"<bpmn:script>identity_valid = valid_national_id(national_id)</bpmn:script>",
        b"<bpmn:script>identity_valid = (</bpmn:script>",
    )
    assert broken != bpmn
    files = [(p.name, p.read_bytes()) for p in TRANSCRIPT_FILES if p.suffix == ".json"]
    body = problem(
        422,
        "definition-invalid",
        "POST",
        "/api/definitions",
        user="designer",
        files=[*files, ("household_transcript.bpmn", broken)],
    )
    assert any(f["element_id"] == "check_identity" and f["severity"] == "error" for f in body["findings"]), body


# ---------------------------------------------------------------- inputs that used to be 500s
def test_date_times_without_offset_or_out_of_range_are_422(problem, tokens):
    body = problem(422, "invalid-input", "GET", "/api/cases?received_from=2026-03-01T00:00:00", user="clerk")
    assert fields_named(body) == {"received_from"}
    body = problem(422, "invalid-input", "GET", "/api/cases?received_to=0001-01-01T00:00:00%2B08:00", user="clerk")
    assert fields_named(body) == {"received_to"}


def test_numbers_and_names_larger_than_their_columns_are_404(problem, tokens):
    problem(
        404, "not-found", "GET", "/api/definitions/household_transcript/versions/99999999999999999999", user="clerk"
    )
    problem(404, "not-found", "GET", "/api/public/cases/" + "9" * 21 + "?code=X")


def test_nul_characters_and_lone_surrogates_are_refused(problem, tokens, case):
    problem(404, "not-found", "GET", "/api/cases/abc%00def", user="clerk")
    body = problem(422, "invalid-input", "GET", "/api/tasks?assignee=a%00b", user="clerk")
    assert fields_named(body) == {"assignee"}
    body = problem(
        422,
        "invalid-input",
        "POST",
        f"/api/cases/{case.case_id}/cancel",
        user="clerk",
        data=b'{"reason": "nul \\u0000 here"}',
        headers={"Content-Type": "application/json"},
    )
    assert fields_named(body) == {"reason"}
    body = problem(
        422,
        "invalid-input",
        "POST",
        "/api/cases",
        user="clerk",
        data=b'{"procedure": "household_transcript", "data": {"name": "\\ud800"}}',
        headers={"Content-Type": "application/json"},
    )
    assert fields_named(body) == {"data"}


def test_unusable_uploads_are_422_or_413(problem, app, tokens):
    problem(422, "invalid-input", "POST", "/api/definitions", user="designer", form={"other": "x"})
    problem(
        422,
        "invalid-input",
        "POST",
        "/api/definitions",
        user="designer",
        files=[("procedure.zip", b"PK\x03\x04 this is no zip")],
    )
    corrupt = io.BytesIO()
    with zipfile.ZipFile(corrupt, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.bpmn", b"<x/>" * 1000)
    damaged = bytearray(corrupt.getvalue())
    damaged[40:60] = b"\x00" * 20  # inside the compressed data of the member
    problem(422, "invalid-input", "POST", "/api/definitions", user="designer", files=[("p.zip", bytes(damaged))])
    problem(
        422,
        "invalid-input",
        "POST",
        "/api/definitions/validate",
        user="designer",
        files=[("x" * 301 + ".bpmn", b"<x/>")],
    )
    app.config["MAX_CONTENT_LENGTH"] = 1024  # the same limit as 25 MB, without sending 25 MB
    problem(413, "payload-too-large", "POST", "/api/definitions", user="designer", files=[("big.bpmn", b"x" * 4096)])


def test_an_unexpected_error_is_a_500_problem_without_internals(app, call, tokens):
    def explode():
        raise RuntimeError("internal detail: /srv/secret/path")

    app.add_url_rule("/api/explode-for-test", "explode_for_test", explode)
    answer = call("GET", "/api/explode-for-test")
    assert answer.status == 500 and answer.content_type == "application/problem+json"
    assert answer.json["type"] == TYPES + "internal-error"
    assert b"secret" not in answer.body and b"RuntimeError" not in answer.body


def test_state_at_an_event_that_does_not_exist_is_404(problem, case, tokens):
    body = problem(404, "not-found", "GET", f"/api/cases/{case.case_id}/state?at=99", user="auditor")
    assert body["context"] == {"seq": 99, "last_seq": 1}


def test_idempotent_retry_returns_the_first_receipt(call, transcript, tokens):
    request = {
        "procedure": "household_transcript",
        "data": {"note": "first"},
        "applicant": {"name": "王小明", "national_id": VALID_ID},
    }
    first = call("POST", "/api/cases", user="clerk", headers={"Idempotency-Key": "counter-7-0001"}, json=request)
    again = call("POST", "/api/cases", user="clerk", headers={"Idempotency-Key": "counter-7-0001"}, json=request)
    assert (first.status, again.status) == (201, 200)
    assert again.json["case_id"] == first.json["case_id"] and again.json["existing"] is True
    assert again.json["receipt"] == first.json["receipt"]
    assert first.json["receipt"]["received"]["data"]["note"] == "first"
    assert first.json["receipt"]["received"]["applicant"] == {"name": "王小明", "national_id": "A12****789"}


@pytest.mark.parametrize(
    "change",
    [
        {"data": {"note": "second"}},
        {"channel": "online"},
        {"applicant": {"name": "王大明", "national_id": VALID_ID}},
        {"procedure": "move_in_registration"},
    ],
)
def test_an_idempotency_key_used_again_for_a_different_request_is_refused(call, problem, transcript, tokens, change):
    request = {
        "procedure": "household_transcript",
        "data": {"note": "first"},
        "channel": "counter",
        "applicant": {"name": "王小明", "national_id": VALID_ID},
    }
    first = call("POST", "/api/cases", user="clerk", headers={"Idempotency-Key": "counter-7-0002"}, json=request)
    assert first.status == 201
    body = problem(
        422,
        "invalid-input",
        "POST",
        "/api/cases",
        user="clerk",
        headers={"Idempotency-Key": "counter-7-0002"},
        json={**request, **change},
    )
    assert body["errors"] == [
        {"field": "Idempotency-Key", "message": "was used for a different request; send a new key to start a new case"}
    ]
    assert first.json["number"] in body["detail"]


@pytest.mark.parametrize(
    "method, path, field",
    [
        ("GET", "/api/reports/sla?from=0001-01-01&to=0001-01-02", "from"),
        ("GET", "/api/reports/workload?from=9999-01-01&to=9999-12-31", "from"),
        ("GET", "/api/audit/anchors/verify?since=0001-01-01", "since"),
        ("GET", "/api/mining/ocel?received_to=9999-12-31T23:59:59-12:00", "received_to"),
        ("GET", "/api/mining/xes?procedure=a%00b", "procedure"),
        ("GET", "/api/audit/verifications?case_id=a%00b", "case_id"),
        ("GET", "/api/calendar/days?from=0001-01-01&to=0001-01-02", "from"),
    ],
)
def test_dates_no_computation_can_use_and_nul_characters_are_422(problem, tokens, method, path, field):
    body = problem(422, "invalid-input", method, path, user="admin")
    assert field in fields_named(body), body


def test_a_nul_character_in_a_verification_request_is_422(problem, tokens):
    body = problem(
        422,
        "invalid-input",
        "POST",
        "/api/audit/verifications",
        user="auditor",
        data=b'{"case_id": "a\\u0000b"}',
        headers={"Content-Type": "application/json"},
    )
    assert fields_named(body) == {"case_id"}


def test_a_value_too_long_for_its_column_is_422_not_500(call, tokens):
    """A process id of 250 characters: valid BPMN, longer than definitions.process_key (200).
    SQLite would store it and PostgreSQL refuse it; validation refuses it on both, naming it."""
    bpmn = (ROOT / "bench" / "procedures" / "bench_simple" / "bench_simple.bpmn").read_bytes()
    long_id = b"p" * 250
    answer = call(
        "POST",
        "/api/definitions",
        user="designer",
        files=[("long.bpmn", bpmn.replace(b'id="bench_simple"', b'id="' + long_id + b'"'))],
    )
    assert answer.status == 422 and answer.content_type == "application/problem+json", answer
    assert answer.json["type"] == TYPES + "definition-invalid"
    assert any(
        finding["element_id"] == long_id.decode() and "250 characters" in finding["message"]
        for finding in answer.json["findings"]
    ), answer.json["findings"]
