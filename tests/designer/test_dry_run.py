"""Dry run: a walk through a definition with sample data, in memory, with service answers from
the sample; it shows the path, stops in front of what the sample does not give, and never
creates a case or calls a service."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import ParsedDefinition
from engine import commands as cmd
from engine.definitions import dry_run, validate_bundle
from engine.storage import queries
from engine.workflow import SandboxedScriptEngine

SAMPLE = Path(__file__).resolve().parent.parent / "corpus" / "designer" / "dry_run_sample.bpmn"
RECEIVE = {"citizen_id": "A123456789"}


@pytest.fixture(scope="module")
def definition() -> ParsedDefinition:
    bundle = validate_bundle({SAMPLE.name: SAMPLE.read_bytes()}, operators={"registry/lookup"})
    assert bundle.ok, bundle.findings
    return ParsedDefinition(
        1, "dry_case", 1, bundle.parser.get_spec("dry_case"), bundle.parser.get_subprocess_specs("dry_case"), {}
    )


def script_engine(gateway):
    return SandboxedScriptEngine(timeout_seconds=1.0, service_gateway=gateway)


def _path(result) -> list[str]:
    return [step["element_id"] for step in result.path]


def test_the_walk_follows_the_sample_to_the_end(definition):
    result = dry_run(
        definition,
        script_engine,
        {},
        tasks={"receive": RECEIVE, "issue": {"copies": 2}},
        services={"registry/lookup": {"found": True}},
    )
    assert result.completed and result.stopped is None and result.waiting == []
    assert _path(result) == ["start", "receive", "lookup", "found", "issue", "end_issued"]
    assert result.service_calls == [
        {
            "element_id": "lookup",
            "operation": "registry/lookup",
            "params": {"citizen_id": "A123456789"},
            "result": {"found": True},
        }
    ]
    assert result.data["copies"] == 2 and result.data["record"] == {"found": True}


def test_answers_in_order_walk_a_loop(definition):
    result = dry_run(
        definition,
        script_engine,
        {},
        tasks={"receive": RECEIVE, "supplement": {}, "issue": {}},
        services={"registry/lookup": [{"found": False}, {"found": True}]},
    )
    assert result.completed
    assert _path(result) == [
        "start",
        "receive",
        "lookup",
        "found",
        "supplement",
        "lookup",
        "found",
        "issue",
        "end_issued",
    ]


def test_the_walk_stops_in_front_of_a_task_without_sample_data(definition):
    result = dry_run(
        definition, script_engine, {}, tasks={"receive": RECEIVE}, services={"registry/lookup": {"found": True}}
    )
    assert not result.completed
    assert [(w["element_id"], w["element_type"]) for w in result.waiting] == [("issue", "userTask")]
    assert "no sample data" in result.waiting[0]["reason"]


def test_a_missing_service_answer_names_the_service_task(definition):
    result = dry_run(definition, script_engine, {}, tasks={"receive": RECEIVE})
    assert not result.completed
    assert result.stopped["element_id"] == "lookup"
    assert "no sample answer for operation 'registry/lookup'" in result.stopped["reason"]
    assert _path(result) == ["start", "receive"]


def test_a_sample_of_the_wrong_shape_is_invalid_input(definition):
    from engine import InvalidInput

    with pytest.raises(InvalidInput, match="task 'receive' must be an object"):
        dry_run(definition, script_engine, {}, tasks={"receive": ["not a form"]})
    with pytest.raises(InvalidInput, match="data must be an object"):
        dry_run(definition, script_engine, [], tasks={})


def test_a_loop_stops_at_the_step_limit(definition):
    result = dry_run(
        definition,
        script_engine,
        {},
        tasks={"receive": RECEIVE, "supplement": {}},
        services={"registry/lookup": {"found": False}},
        max_steps=5,
    )
    assert not result.completed
    assert result.steps == 5 and "Stopped after 5 task completions" in result.stopped["reason"]


# ---------------------------------------------------------------- over HTTP, on a deployed version
def _deploy_scripted(engine) -> None:
    """The sample with a script in place of the service task (the test engine has no registry
    operator): ``found_it`` in the data decides."""
    text = SAMPLE.read_text()
    start, end = text.index("<bpmn:serviceTask"), text.index("</bpmn:serviceTask>") + len("</bpmn:serviceTask>")
    scripted = (
        text[:start] + '<bpmn:scriptTask id="lookup" name="Look up household record">'
        '<bpmn:script>record = {"found": found_it}</bpmn:script></bpmn:scriptTask>' + text[end:]
    )
    engine.handle(cmd.DeployDefinition({"dry.bpmn": scripted.encode()}, actor="designer"))


def test_the_api_runs_a_deployed_version_without_creating_a_case(client, as_user, engine):
    _deploy_scripted(engine)
    body = {"data": {"found_it": True}, "tasks": {"receive": RECEIVE, "issue": {}}}
    answer = client.post("/api/definitions/dry_case/versions/1/dry-run", headers=as_user("designer"), json=body)
    assert answer.status_code == 200, answer.json
    assert answer.json["completed"] is True
    assert [step["element_id"] for step in answer.json["path"]][-2:] == ["issue", "end_issued"]
    with engine.read() as session:
        assert queries.case_ids(session, None, 10) == []
    wrong = client.post(
        "/api/definitions/dry_case/versions/1/dry-run", headers=as_user("designer"), json={**body, "max_steps": 0}
    )
    assert wrong.status_code == 422 and "max_steps" in str(wrong.json)
    not_a_form = client.post(
        "/api/definitions/dry_case/versions/1/dry-run",
        headers=as_user("designer"),
        json={**body, "tasks": {"receive": "yes"}},
    )
    assert not_a_form.status_code == 422 and "receive" in str(not_a_form.json)
    assert (
        client.post("/api/definitions/dry_case/versions/9/dry-run", headers=as_user("designer"), json=body).status_code
        == 404
    )


def test_the_api_refuses_to_run_a_draft(client, as_user, engine):
    draft = SAMPLE.read_bytes().replace(b'isExecutable="true"', b'isExecutable="false"')
    deployed = engine.handle(cmd.DeployDefinition({"dry.bpmn": draft}, actor="designer"))
    assert deployed.definition.draft
    answer = client.post("/api/definitions/dry_case/versions/1/dry-run", headers=as_user("designer"), json={})
    assert answer.status_code == 422 and "draft" in answer.json["detail"]


def test_the_cli_runs_a_deployed_version(settings, engine, tmp_path):
    import json

    from api import create_app

    engine.handle(
        cmd.DeployDefinition(
            {"dry.bpmn": SAMPLE.read_bytes().replace(b'isExecutable="true"', b'isExecutable="false"')}, actor="designer"
        )
    )
    runner = create_app(settings, engine=engine).test_cli_runner()
    refused = runner.invoke(args=["definitions", "dry-run", "dry_case", "1"])
    assert refused.exit_code == 1 and "draft" in refused.output
    sample = tmp_path / "sample.json"
    sample.write_text(json.dumps({"data": {"found_it": False}, "tasks": {"receive": RECEIVE, "supplement": {}}}))
    _deploy_scripted(engine)  # version 2, executable
    walked = runner.invoke(
        args=["definitions", "dry-run", "dry_case", "2", "--sample", str(sample), "--max-steps", "3"]
    )
    assert walked.exit_code == 0, walked.output
    result = json.loads(walked.output)
    assert result["steps"] == 3 and result["stopped"]["element_id"] == "supplement"
    missing = runner.invoke(args=["definitions", "dry-run", "household_transcript", "1", "--sample", str(sample)])
    assert missing.exit_code == 1 and "household_transcript" in missing.output


def test_an_asynchronous_agency_call_is_answered_by_the_sample(client, as_user, transcript):
    """In a case a worker calls the household register and the case waits; in a dry run the
    sample answers at once and nothing is queued."""
    from tests.engine.helpers import RECEIVE as TRANSCRIPT_RECEIVE

    answer = {"match": True, "record_status": "active"}
    body = {
        "tasks": {"receive_application": TRANSCRIPT_RECEIVE},
        "services": {"household_registration/identity_check": answer},
    }
    result = client.post(
        "/api/definitions/household_transcript/versions/1/dry-run", headers=as_user("designer"), json=body
    ).json
    assert [call["element_id"] for call in result["service_calls"]] == ["verify_household_record"]
    assert result["service_calls"][0]["result"] == answer
    assert "verify_household_record" in [step["element_id"] for step in result["path"]]
    assert result["data"]["identity_confirmed_by_agency"] is True
    waiting = {w["element_id"]: w["reason"] for w in result["waiting"]}
    assert waiting == {
        "issue_transcript": "no sample data for this task: add it under tasks",
        "issue_overdue": "waits for a timer event",
    }  # its boundary SLA timer
