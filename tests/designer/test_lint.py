"""Lint in the spirit of bpmnlint's recommended rules: one corpus file breaks every rule, each
on an element named after the rule; clean diagrams give no warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api import create_app
from engine import WARNING
from engine.definitions import RULES, lint_bundle

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
EVERY_RULE = CORPUS / "designer" / "lint_every_rule.bpmn"

EXPECTED = {
    ("no-disconnected", "orphan"),
    ("no-disconnected", "lonely"),
    ("no-implicit-start", "starts_by_itself"),
    ("no-implicit-end", "dead_end"),
    ("label-required", "unlabelled_task"),
    ("conditional-flows", "choice_without_default"),
    ("superfluous-gateway", "useless_gateway"),
    ("fake-join", "joins_by_itself"),
    ("fake-join", "unlabelled_task"),
    ("no-gateway-join-fork", "merges_and_splits"),
    ("no-duplicate-sequence-flows", "f1_again"),
    ("single-blank-start-event", "second_blank_start"),
    ("start-event-required", "no_ends"),
    ("end-event-required", "no_ends"),
}


def _rule(message: str) -> str:
    return message[1 : message.index("]")]


def test_every_rule_fires_on_its_element_and_nowhere_else():
    findings = lint_bundle({EVERY_RULE.name: EVERY_RULE.read_bytes()})
    assert {(_rule(f.message), f.element_id) for f in findings} == EXPECTED
    assert all(f.severity == WARNING and f.element_type and f.file == EVERY_RULE.name for f in findings)
    assert {_rule(f.message) for f in findings} == {rule.__name__.replace("_", "-") for rule in RULES}


@pytest.mark.parametrize(
    "name", ["collaboration.bpmn", "foreign_prefix.bpmn", "several_processes.bpmn", "implicit_split_drawn.bpmn"]
)
def test_clean_diagrams_give_no_warning(name):
    path = CORPUS / "designer" / name
    assert lint_bundle({name: path.read_bytes()}) == []


def test_a_default_flow_silences_conditional_flows():
    text = EVERY_RULE.read_bytes().replace(b'name="Fee paid?"', b'name="Fee paid?" default="f_unpaid"')
    findings = lint_bundle({"x.bpmn": text})
    assert "choice_without_default" not in {f.element_id for f in findings if "conditional-flows" in f.message}


def test_unreadable_and_hostile_files_are_left_to_validation():
    files = {"broken.bpmn": b"<definitions", "laughs.bpmn": (CORPUS / "bad_bpmn" / "billion_laughs.bpmn").read_bytes()}
    assert lint_bundle(files) == []


def test_validate_returns_lint_warnings(client, as_user):
    answer = client.post(
        "/api/definitions/validate",
        headers=as_user("designer"),
        content_type="multipart/form-data",
        data={"files": [(EVERY_RULE.open("rb"), EVERY_RULE.name)]},
    )
    assert answer.status_code == 200
    linted = {(_rule(f["message"]), f["element_id"]) for f in answer.json["findings"] if f["message"].startswith("[")}
    assert linted == EXPECTED


def test_the_cli_lints_a_folder(settings, engine, tmp_path):
    (tmp_path / "lint_every_rule.bpmn").write_bytes(EVERY_RULE.read_bytes())
    runner = create_app(settings, engine=engine).test_cli_runner()
    result = runner.invoke(args=["definitions", "lint", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.output)
    assert report["verdict"] == "executable"
    assert ("superfluous-gateway", "useless_gateway") in {
        (_rule(f["message"]), f["element_id"]) for f in report["findings"] if f["message"].startswith("[")
    }
    strict = runner.invoke(args=["definitions", "lint", "--strict", str(tmp_path)])
    assert strict.exit_code == 1
