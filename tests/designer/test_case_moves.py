"""Preview of moving open cases to a new version: a case can move when every element it waits at
exists in the new version with the same type; otherwise the preview names the blocking elements."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import InvalidInput
from engine import commands as cmd
from engine.storage import queries

SAMPLE = Path(__file__).resolve().parent.parent / "corpus" / "designer" / "dry_run_sample.bpmn"


def _scripted() -> str:
    """The sample with a script in place of its service task: ``found_it`` in the data decides."""
    text = SAMPLE.read_text()
    start, end = text.index("<bpmn:serviceTask"), text.index("</bpmn:serviceTask>") + len("</bpmn:serviceTask>")
    return (
        text[:start] + '<bpmn:scriptTask id="lookup" name="Look up household record">'
        '<bpmn:script>record = {"found": found_it}</bpmn:script></bpmn:scriptTask>' + text[end:]
    )


def _deploy(engine, text: str):
    return engine.handle(cmd.DeployDefinition({"dry.bpmn": text.encode()}, actor="designer")).definition


def _start(engine) -> str:
    return engine.handle(cmd.StartCase("dry_case", {"found_it": False}, actor="clerk")).case_id


def _complete(engine, case_id: str, element_id: str) -> None:
    with engine.read() as session:
        [task] = [
            t
            for t in queries.case_tasks(session, case_id)
            if t.element_id == element_id and t.status in ("ready", "claimed")
        ]
    engine.handle(cmd.CompleteTask(task.id, "clerk", {"citizen_id": "A123456789"}))


@pytest.fixture
def cases(engine):
    """Version 1 with two running cases: one waits at 'receive', one moved on to 'supplement'."""
    _deploy(engine, _scripted())
    at_receive, at_supplement = _start(engine), _start(engine)
    _complete(engine, at_supplement, "receive")
    return at_receive, at_supplement


def _preview(engine, to_version: int) -> dict:
    return engine.preview_move("dry_case", 1, to_version)


def test_a_case_waiting_at_a_removed_element_is_blocked_by_it(engine, cases):
    at_receive, at_supplement = cases
    renamed = (
        _scripted()
        .replace('id="receive"', 'id="receive_application"')
        .replace(">receive<", ">receive_application<")
        .replace('targetRef="receive"', 'targetRef="receive_application"')
        .replace('sourceRef="receive"', 'sourceRef="receive_application"')
    )
    assert _deploy(engine, renamed).version == 2
    preview = _preview(engine, 2)
    assert [case["case_id"] for case in preview["movable"]] == [at_supplement]
    [blocked] = preview["blocked"]
    assert blocked["case_id"] == at_receive
    assert [(b["element_id"], b["element_type"]) for b in blocked["blocked_by"]] == [("receive", "userTask")]
    assert "does not exist in the new version" in blocked["blocked_by"][0]["reason"]


def test_a_changed_element_type_blocks_and_an_unchanged_version_moves_everything(engine, cases):
    manual = _scripted().replace(
        '<bpmn:userTask id="supplement" name="Ask for documents"/>',
        '<bpmn:manualTask id="supplement" name="Ask for documents"/>',
    )
    _deploy(engine, manual)
    preview = _preview(engine, 2)
    [blocked] = preview["blocked"]
    assert blocked["case_id"] == cases[1]
    assert "is a userTask here and a manualTask" in blocked["blocked_by"][0]["reason"]
    _deploy(engine, _scripted().replace("Issued", "Transcript issued"))
    assert len(_preview(engine, 3)["movable"]) == 2 and _preview(engine, 3)["blocked"] == []


def test_drafts_are_neither_source_nor_target(engine, cases):
    _deploy(engine, _scripted().replace('isExecutable="true"', 'isExecutable="false"'))
    with pytest.raises(InvalidInput, match="draft"):
        _preview(engine, 2)


def test_the_api_previews(client, as_user, engine, cases):
    _deploy(engine, _scripted().replace("Issued", "Transcript issued"))
    answer = client.get("/api/definitions/dry_case/move-preview?from=1&to=2", headers=as_user("supervisor"))
    assert answer.status_code == 200, answer.json
    assert {case["case_id"] for case in answer.json["movable"]} == set(cases)
    assert (
        client.get("/api/definitions/dry_case/move-preview?from=1&to=5", headers=as_user("supervisor")).status_code
        == 404
    )


def test_the_cli_previews(settings, engine, cases):
    import json

    from api import create_app

    _deploy(engine, _scripted().replace("Issued", "Transcript issued"))
    runner = create_app(settings, engine=engine).test_cli_runner()
    result = runner.invoke(args=["definitions", "move-preview", "dry_case", "--from", "1", "--to", "2"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["movable"]) == 2
    missing = runner.invoke(args=["definitions", "move-preview", "dry_case", "--from", "1", "--to", "9"])
    assert missing.exit_code == 1 and "no version 9" in missing.output
