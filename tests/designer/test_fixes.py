"""The automatic rewrite of implicit parallel splits: offered only where the meaning is
unambiguous (no outgoing flow has a condition); the rewritten file runs as drawn."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from engine import commands as cmd
from engine.definitions import fix_implicit_splits, validate_bundle

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SPLIT = CORPUS / "designer" / "implicit_split_drawn.bpmn"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def _validate(files):
    return validate_bundle(files, operators=set())


def test_the_rewrite_inserts_a_parallel_gateway_and_the_file_becomes_executable():
    files = {SPLIT.name: SPLIT.read_bytes()}
    assert _validate(files).verdict == "draft"
    fixed, rewrites = fix_implicit_splits(files)
    [rewrite] = rewrites
    assert (rewrite.element_id, rewrite.gateway_id, rewrite.flows) == ("prepare", "prepare_split", ["f2", "f3"])
    bundle = _validate(fixed)
    assert bundle.verdict == "executable", bundle.findings
    root = etree.fromstring(fixed[SPLIT.name])
    flows = {
        flow.get("id"): (flow.get("sourceRef"), flow.get("targetRef")) for flow in root.iter(f"{BPMN}sequenceFlow")
    }
    assert flows["prepare_to_split"] == ("prepare", "prepare_split")
    assert flows["f2"][0] == flows["f3"][0] == "prepare_split"
    # the file's own prefix and vendor extensions are kept; the diagram gets the gateway's shape
    assert fixed[SPLIT.name].count(b"<model:parallelGateway") == 2  # the join and the new split
    assert b"camunda:asyncBefore" in fixed[SPLIT.name]
    assert b'bpmnElement="prepare_split"' in fixed[SPLIT.name]


def test_the_rewritten_file_runs_both_branches(engine):
    fixed, _ = fix_implicit_splits({SPLIT.name: SPLIT.read_bytes()})
    engine.handle(cmd.DeployDefinition(fixed, actor="designer"))
    started = engine.handle(cmd.StartCase("drawn_split", actor="clerk"))
    state = engine.case_state(started.case_id)
    assert state["completed"] is True
    assert {"prepare_split", "letter", "archive", "join"} <= set(_step_ids(state["completed_steps"]))
    assert (state["data"]["letter"], state["data"]["archived"]) == (True, True)


def _step_ids(steps) -> list[str]:
    return [step["element_id"] if isinstance(step, dict) else step for step in steps]


def test_no_rewrite_when_a_flow_has_a_condition():
    text = SPLIT.read_bytes().replace(
        b'<model:sequenceFlow id="f2" sourceRef="prepare" targetRef="letter"/>',
        b'<model:sequenceFlow id="f2" sourceRef="prepare" targetRef="letter">'
        b"<model:conditionExpression>fee &gt; 0</model:conditionExpression></model:sequenceFlow>",
    )
    fixed, rewrites = fix_implicit_splits({SPLIT.name: text})
    assert rewrites == [] and fixed[SPLIT.name] == text


def test_unreadable_files_are_returned_unchanged():
    files = {"broken.bpmn": b"<definitions", "form.json": b"{}"}
    assert fix_implicit_splits(files) == (files, [])


def test_the_api_returns_the_rewritten_file(client, as_user):
    answer = client.post(
        "/api/definitions/validate?fix=implicit-splits",
        headers=as_user("designer"),
        content_type="multipart/form-data",
        data={"files": [(SPLIT.open("rb"), SPLIT.name)]},
    )
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["ok"], body["verdict"]) == (True, "executable")
    assert [fix["gateway_id"] for fix in body["fixes"]] == ["prepare_split"]
    assert "prepare_split" in body["files"][SPLIT.name]
    unknown = client.post(
        "/api/definitions/validate?fix=everything",
        headers=as_user("designer"),
        content_type="multipart/form-data",
        data={"files": [(SPLIT.open("rb"), SPLIT.name)]},
    )
    assert unknown.status_code == 422 and "fix" in str(unknown.json)
