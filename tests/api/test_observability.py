"""Operations: request ids in answers and logs, health with a dependency down, metrics."""

from __future__ import annotations

import json
import re


def request_lines(lines: list[str]) -> list[dict]:
    return [entry for entry in map(json.loads, lines) if entry["message"] == "request"]


def test_every_answer_and_log_line_carries_the_request_id(call, tokens, log_lines):
    given = call("GET", "/api/tasks", user="clerk", headers={"X-Request-ID": "counter-3/7f1c"})
    assert given.headers["X-Request-ID"] == "counter-3/7f1c"
    made = call("GET", "/api/nothing-here")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    first, second = request_lines(log_lines)[-2:]
    assert (first["request_id"], first["path"], first["status"], first["endpoint"]) == (
        "counter-3/7f1c",
        "/api/tasks",
        200,
        "/api/tasks",
    )
    assert (second["request_id"], second["status"], second["endpoint"]) == (
        made.headers["X-Request-ID"],
        404,
        "unmatched",
    )
    assert all(isinstance(entry["duration_ms"], float) for entry in (first, second))


def test_query_strings_are_not_logged(call, engine, transcript, tokens, log_lines):
    call("GET", "/api/public/cases/2026-000001", query={"code": "SECRET42"})
    assert "SECRET42" not in "\n".join(log_lines)
    assert request_lines(log_lines)[-1]["path"] == "/api/public/cases/2026-000001"


def test_health_is_503_when_a_dependency_is_down(call, engine):
    assert call("GET", "/api/health").json["status"] == "ok"
    engine.health_checks["agency_gateway"] = lambda: {"status": "down", "error": "ConnectionRefusedError"}
    answer = call("GET", "/api/health")
    assert answer.status == 503 and answer.content_type == "application/json"
    assert answer.json["status"] == "degraded"
    assert answer.json["checks"]["agency_gateway"] == {"status": "down", "error": "ConnectionRefusedError"}

    def broken():
        raise TimeoutError("no answer")

    engine.health_checks["agency_gateway"] = broken
    assert call("GET", "/api/health").json["checks"]["agency_gateway"] == {"status": "down", "error": "TimeoutError"}


def test_metrics_count_cases_tasks_and_requests(call, engine, transcript, tokens):
    for _ in range(2):
        assert call("POST", "/api/cases", user="clerk", json={"procedure": "household_transcript"}).status == 201
    text = call("GET", "/metrics").body.decode()
    assert 'onestop_cases{status="running"} 2.0' in text
    assert "onestop_open_tasks 2.0" in text
    assert "onestop_overdue_cases 0.0" in text
    assert re.search(
        r'onestop_http_request_duration_seconds_count\{endpoint="/api/cases",method="POST",'
        r'status="201"\} 2\.0',
        text,
    ), text
