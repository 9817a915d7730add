"""Case and task data (and message payloads) have limits on nesting depth, string length and
total size, checked before anything reaches SpiffWorkflow: a breach is a 422 naming the field,
and nothing is recorded."""

from __future__ import annotations

import pytest

from engine import DataLimits, InvalidInput
from engine import commands as cmd
from tests.engine.helpers import open_tasks


def nested(depth: int, leaf="x") -> dict:
    """{"a": {"a": ... leaf}} with ``depth`` objects, built without recursion."""
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def start(call, data, **extra):
    return call("POST", "/api/cases", user="clerk", json={"procedure": "household_transcript", "data": data, **extra})


def case_count(call) -> int:
    return call("GET", "/api/cases", user="auditor").json["total"]


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (nested(21), "data" + "/a" * 20, "nested deeper than 20 levels"),
        ({"note": "x" * 20_001}, "data/note", "longer than 20000 characters"),
        ({"list": [1, 2, {"text": "y" * 30_000}]}, "data/list/2/text", "longer than 20000 characters"),
        ({"k" * 20_001: 1}, "data", "key longer than 20000 characters"),
        ({f"f{n}": "z" * 19_000 for n in range(14)}, "data", "larger than 262144 bytes"),
    ],
    ids=["depth", "string", "string in a list", "key", "total size"],
)
def test_a_breach_is_a_422_naming_the_field(call, transcript, tokens, data, field, words):
    answer = start(call, data)
    assert answer.status == 422 and answer.content_type == "application/problem+json", answer
    assert [error["field"] for error in answer.json["errors"]] == [field]
    assert words in answer.json["errors"][0]["message"]
    assert case_count(call) == 0


def test_the_limits_hold_for_the_applicant_task_data_and_messages(call, engine, transcript, tokens):
    refused = start(call, {}, applicant={"name": "王小明", "address": nested(25)})
    assert refused.status == 422 and refused.json["errors"][0]["field"].startswith("applicant/address/a/a")
    started = start(call, {"at": nested(19)})  # within the limit
    assert started.status == 201, started
    history = call("GET", f"/api/cases/{started.json['case_id']}/events", user="auditor").json
    [task] = open_tasks(engine, started.json["case_id"])
    completed = call("POST", f"/api/tasks/{task.id}/complete", user="clerk", json={"data": {"deep": nested(25)}})
    assert completed.status == 422 and completed.json["errors"][0]["field"].startswith("data/deep/a/a")
    message = call(
        "POST",
        f"/api/cases/{started.json['case_id']}/messages/rating_received",
        user="clerk",
        json={"payload": nested(30)},
    )
    assert message.status == 422 and message.json["errors"][0]["field"].startswith("payload/a")
    assert call("GET", f"/api/cases/{started.json['case_id']}/events", user="auditor").json == history  # nothing more


def test_the_engine_refuses_a_value_too_deep_for_python_itself(engine, transcript):
    """A hundred thousand levels: checked without recursion, refused by field, never a RecursionError."""
    with pytest.raises(InvalidInput) as refused:
        engine.handle(cmd.StartCase("household_transcript", {"x": nested(100_000)}, actor="clerk"))
    assert refused.value.details["errors"][0]["field"].startswith("data/x/a/a")


def test_the_limits_are_configurable(settings, clock, transcript):
    from bootstrap import build_engine

    strict = build_engine(settings.with_overrides(data_max_depth=3, data_max_string=10, data_max_bytes=100), clock)
    try:
        with pytest.raises(InvalidInput):
            strict.handle(cmd.StartCase("household_transcript", {"a": "x" * 11}, actor="clerk"))
        with pytest.raises(InvalidInput):
            strict.handle(cmd.StartCase("household_transcript", nested(4), actor="clerk"))
        assert strict.handle(cmd.StartCase("household_transcript", nested(3), actor="clerk")).case_id
        assert DataLimits() == DataLimits(256 * 1024, 20_000, 20)
    finally:
        strict.dispose()
