"""BPMN as modelling tools write it: every upload gets a verdict (executable, draft, rejected) and
findings that name the element. Corpus: tests/corpus/designer (prefixes, collaborations, vendor
extensions, no diagram) plus the encodings and hostile files of tests/corpus/bad_bpmn."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import ERROR, FIXABLE, NOTE, InvalidInput
from engine import commands as cmd
from engine.definitions import validate_bundle

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
DESIGNER = CORPUS / "designer"
BAD = CORPUS / "bad_bpmn"

VERDICTS = {
    DESIGNER / "foreign_prefix.bpmn": ("executable", "foreign_prefix"),
    DESIGNER / "default_namespace_no_di.bpmn": ("executable", "no_prefix"),
    DESIGNER / "collaboration.bpmn": ("executable", "office_case"),
    DESIGNER / "several_processes.bpmn": ("executable", "main_case"),
    BAD / "utf8_bom.bpmn": ("executable", "case"),
    BAD / "utf16_le_bom.bpmn": ("executable", "case"),
    BAD / "utf16_be_no_bom.bpmn": ("executable", "case"),
    BAD / "not_executable.bpmn": ("draft", "draft_case"),
    BAD / "complex_gateway.bpmn": ("draft", "case"),
    BAD / "implicit_split.bpmn": ("draft", "case"),
    BAD / "malformed.bpmn": ("rejected", None),
    BAD / "billion_laughs.bpmn": ("rejected", None),
    BAD / "xxe.bpmn": ("rejected", None),
    BAD / "not_bpmn.bpmn": ("rejected", None),
    BAD / "bad_script.bpmn": ("rejected", "case"),  # an error to fix, not a shape the engine lacks
}


def check(files: dict[str, bytes]):
    """The verdict of an upload. (Hostile files are refused before they cost anything: entities
    are never expanded, sizes and depths are limited; the findings say so.)"""
    return validate_bundle(files, operators={"registry/lookup"})


@pytest.mark.parametrize("path", sorted(VERDICTS), ids=lambda path: path.name)
def test_every_upload_gets_a_verdict(path):
    expected_verdict, expected_key = VERDICTS[path]
    bundle = check({path.name: path.read_bytes()})
    assert (bundle.verdict, bundle.process_key) == (expected_verdict, expected_key), bundle.findings
    assert bundle.ok == (expected_verdict == "executable")


def test_a_collaboration_runs_its_executable_pool_and_notes_the_other():
    bundle = check({"collaboration.bpmn": (DESIGNER / "collaboration.bpmn").read_bytes()})
    [note] = [f for f in bundle.findings if f.element_id == "citizen"]
    assert (note.severity, note.element_type) == (NOTE, "process")
    assert "never runs" in note.message


def test_vendor_extensions_are_ignored_with_one_note_per_tool():
    bundle = check({"collaboration.bpmn": (DESIGNER / "collaboration.bpmn").read_bytes()})
    notes = {
        f.message.split(" (")[0]: f
        for f in bundle.findings
        if f.severity == NOTE and "ignored by the engine" in f.message
    }
    assert set(notes) == {"Settings of Camunda", "Settings of Signavio"}
    # the extension elements have no id: the note names the element that holds them
    assert notes["Settings of Camunda"].element_id == "office_case"
    assert notes["Settings of Signavio"].element_id == "office_case"


def test_draft_findings_name_the_element_and_the_fix():
    bundle = check({"implicit_split.bpmn": (BAD / "implicit_split.bpmn").read_bytes()})
    [fixable] = [f for f in bundle.findings if f.blocking]
    assert (fixable.element_id, fixable.element_type, fixable.severity) == ("review", "userTask", FIXABLE)
    assert (fixable.kind, fixable.fix) == ("implicit-split", "implicit-splits")
    assert "inserts the gateway after the task" in fixable.message and "平行閘道" in fixable.message_zh


def test_a_non_executable_process_in_a_bundle_with_a_running_one_is_only_a_note():
    text = (DESIGNER / "several_processes.bpmn").read_text()
    text = text.replace(
        '<bpmn:process id="fee_process" name="Fee" isExecutable="true">',
        '<bpmn:process id="fee_process" name="Fee" isExecutable="false">',
    )
    bundle = check({"several.bpmn": text.encode()})
    # the call activity needs it: that stays an error a designer must fix
    assert bundle.verdict == "rejected"
    assert any(f.element_id == "call_fee" and "not executable" in f.message for f in bundle.findings)


# ---------------------------------------------------------------- hostile uploads, bounded
def _deeply_nested(depth: int) -> bytes:
    opening = "".join(f'<bpmn:subProcess id="s{i}">' for i in range(depth))
    closing = "</bpmn:subProcess>" * depth
    return (
        '<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'id="d"><bpmn:process id="deep" isExecutable="true">'
        f'<bpmn:startEvent id="start"/>{opening}{closing}</bpmn:process></bpmn:definitions>'
    ).encode()


def _huge(tasks: int) -> bytes:
    body = "".join(f'<bpmn:task id="t{i}" name="Task {i}"/>' for i in range(tasks))
    return (
        '<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        f'id="d"><bpmn:process id="huge" isExecutable="true">{body}</bpmn:process></bpmn:definitions>'
    ).encode()


@pytest.mark.parametrize(
    "content",
    [_deeply_nested(5_000), _huge(60_000), _huge(400_000)],
    ids=["nesting-5000", "elements-60000", "bytes-over-limit"],
)
def test_hostile_files_are_rejected_quickly(content):
    bundle = check({"hostile.bpmn": content})
    assert bundle.verdict == "rejected"
    assert any(f.severity == ERROR for f in bundle.findings)


# ---------------------------------------------------------------- drafts through the API
def _upload(client, as_user, path: Path):
    return client.post(
        "/api/definitions",
        headers=as_user("designer"),
        content_type="multipart/form-data",
        data={"files": [(path.open("rb"), path.name)]},
    )


def test_a_draft_is_stored_downloadable_and_not_startable(client, as_user, engine):
    answer = _upload(client, as_user, BAD / "complex_gateway.bpmn")
    assert answer.status_code == 201, answer.json
    assert (answer.json["verdict"], answer.json["draft"], answer.json["key"]) == ("draft", True, "case")
    version = client.get("/api/definitions/case/versions/1", headers=as_user("designer")).json
    assert version["draft"] is True
    download = client.get("/api/definitions/case/versions/1/bpmn", headers=as_user("designer"))
    assert download.status_code == 200 and b'id="cg"' in download.data
    started = client.post("/api/cases", headers=as_user("clerk"), json={"procedure": "case"})
    assert started.status_code == 422
    assert "only as a draft" in started.json["detail"]
    with pytest.raises(InvalidInput, match="only as a draft"):
        engine.handle(cmd.StartCase("case", actor="clerk"))


def test_cases_start_on_the_latest_executable_version_not_on_a_later_draft(client, as_user, engine):
    executable = (DESIGNER / "default_namespace_no_di.bpmn").read_bytes()
    engine.handle(cmd.DeployDefinition({"p.bpmn": executable}, actor="designer"))
    draft = executable.replace(b'isExecutable="true"', b'isExecutable="false"')
    deployed = engine.handle(cmd.DeployDefinition({"p.bpmn": draft}, actor="designer"))
    assert (deployed.definition.version, deployed.definition.draft) == (2, True)
    started = client.post("/api/cases", headers=as_user("clerk"), json={"procedure": "no_prefix"})
    assert started.status_code == 201, started.json
    assert started.json["version"] == 1


def test_a_rejected_upload_is_not_stored(client, as_user):
    answer = _upload(client, as_user, BAD / "malformed.bpmn")
    assert answer.status_code == 422
    assert answer.json["type"].endswith("definition-invalid")
    assert client.get("/api/definitions", headers=as_user("designer")).json == []


def test_validate_reports_the_verdict(client, as_user):
    path = BAD / "not_executable.bpmn"
    answer = client.post(
        "/api/definitions/validate",
        headers=as_user("designer"),
        content_type="multipart/form-data",
        data={"files": [(path.open("rb"), path.name)]},
    )
    assert answer.status_code == 200
    assert (answer.json["ok"], answer.json["verdict"]) == (False, "draft")
