"""JSON nested deeper than Python's parser can build (thousands of levels) is answered 422 naming
the field where it goes too deep, never a 500; an oversized JSON body is refused before parsing."""

from __future__ import annotations

import json

from tests.engine.helpers import RECEIVE, open_tasks


def deep_body(depth: int, prefix: str = '{"procedure": "household_transcript", "data": {"form": ') -> bytes:
    return (prefix + '{"a": ' * depth + "1" + "}" * depth + "}}").encode()


def post(call, path: str, raw: bytes):
    return call("POST", path, user="clerk", data=raw, headers={"Content-Type": "application/json"})


def test_a_body_too_deep_for_the_parser_is_a_422_naming_the_field(call, transcript, tokens):
    answer = post(call, "/api/cases", deep_body(100_000))
    assert answer.status == 422 and answer.content_type == "application/problem+json", answer
    [error] = answer.json["errors"]
    assert error["field"] == "data/form" + "/a" * 19
    assert "nested deeper than 20 levels" in error["message"]
    assert call("GET", "/api/cases", user="clerk").json["total"] == 0


def test_a_body_just_within_the_parsers_reach_is_a_422_too(call, transcript, tokens):
    """Deep enough to exhaust the stack of a recursive check after parsing, shallow enough to parse."""
    answer = post(call, "/api/cases", deep_body(950))
    assert answer.status == 422, answer
    assert answer.json["errors"][0]["field"] == "data/form" + "/a" * 19


def test_arrays_and_task_bodies_too(call, engine, transcript, tokens):
    started = call("POST", "/api/cases", user="clerk", json={"procedure": "household_transcript"}).json
    [task] = open_tasks(engine, started["case_id"])
    raw = b'{"data": {"copies": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}"
    answer = post(call, f"/api/tasks/{task.id}/complete", raw)
    assert answer.status == 422, answer
    assert answer.json["errors"][0]["field"] == "data/copies" + "/0" * 19
    assert post(call, f"/api/tasks/{task.id}/complete", json.dumps({"data": RECEIVE}).encode()).status == 200


def test_a_draft_keeps_the_limits_of_the_data_it_completes_with(call, engine, transcript, tokens):
    started = call("POST", "/api/cases", user="clerk", json={"procedure": "household_transcript"}).json
    [task] = open_tasks(engine, started["case_id"])
    assert call("POST", f"/api/tasks/{task.id}/claim", user="clerk").status == 200
    raw = b'{"data": {"note": ' + b'{"a": ' * 500 + b"1" + b"}" * 500 + b"}}"
    answer = call(
        "PUT", f"/api/tasks/{task.id}/draft", user="clerk", data=raw, headers={"Content-Type": "application/json"}
    )
    assert answer.status == 422 and answer.json["errors"][0]["field"] == "data/note" + "/a" * 19, answer
    assert call("GET", f"/api/tasks/{task.id}", user="clerk").json["draft"] is None


def test_an_oversized_json_body_is_refused_unread(call, transcript, tokens):
    raw = json.dumps({"procedure": "household_transcript", "data": {"blob": "x" * (2 * 1024 * 1024)}}).encode()
    answer = post(call, "/api/cases", raw)
    assert answer.status == 413 and answer.content_type == "application/problem+json", answer
