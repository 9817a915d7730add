"""Diff between two versions: elements added, removed and changed (matched by id, content
compared down to scripts and conditions), files added and removed; diagram moves are no change."""

from __future__ import annotations

import json
from pathlib import Path

from api import create_app
from engine import commands as cmd
from engine.definitions import diff_bundles

SPLIT = Path(__file__).resolve().parent.parent / "corpus" / "designer" / "implicit_split_drawn.bpmn"


def _v2(v1: bytes) -> bytes:
    return (
        v1.replace(b"<model:script>letter = True</model:script>", b"<model:script>letter = 'sent'</model:script>")
        .replace(b'name="Archive"', b'name="Archive file"')
        .replace(
            b'<model:scriptTask id="archive"',
            b'<model:manualTask id="sign" name="Sign"/><model:scriptTask id="archive"',
        )
        .replace(b'<dc:Bounds x="200"', b'<dc:Bounds x="260"')
    )


def test_added_removed_changed_and_moved_elements():
    v1 = SPLIT.read_bytes()
    v2 = _v2(v1).replace(b'<model:endEvent id="end" name="Done"/>', b"")
    diff = diff_bundles({"p.bpmn": v1, "old-form.json": b"{}"}, {"p.bpmn": v2, "new-form.json": b"{}"})
    assert diff["files"] == {"added": ["new-form.json"], "removed": ["old-form.json"], "changed": ["p.bpmn"]}
    elements = diff["elements"]
    assert [(e["id"], e["type"]) for e in elements["added"]] == [("sign", "manualTask")]
    assert [(e["id"], e["type"]) for e in elements["removed"]] == [("end", "endEvent")]
    changed = {e["id"]: e["changes"] for e in elements["changed"]}
    assert set(changed) == {"letter", "archive"}  # "prepare" only moved in the diagram
    assert changed["archive"] == {"name": {"from": "Archive", "to": "Archive file"}}
    assert changed["letter"]["content"] == {
        "removed": ["script[]: letter = True"],
        "added": ["script[]: letter = 'sent'"],
    }


def test_identical_bundles_have_an_empty_diff():
    files = {"p.bpmn": SPLIT.read_bytes()}
    assert diff_bundles(files, dict(files)) == {
        "files": {"added": [], "removed": [], "changed": []},
        "elements": {"added": [], "removed": [], "changed": []},
    }


def _deploy_two_versions(engine):
    v1 = SPLIT.read_bytes()
    engine.handle(cmd.DeployDefinition({"p.bpmn": v1}, actor="designer"))
    engine.handle(cmd.DeployDefinition({"p.bpmn": _v2(v1)}, actor="designer"))


def test_the_api_diffs_two_deployed_versions(client, as_user, engine):
    _deploy_two_versions(engine)
    answer = client.get("/api/definitions/drawn_split/diff?from=1&to=2", headers=as_user("designer"))
    assert answer.status_code == 200, answer.json
    assert (answer.json["from"], answer.json["to"]) == (1, 2)
    assert {e["id"] for e in answer.json["elements"]["changed"]} == {"letter", "archive"}
    missing = client.get("/api/definitions/drawn_split/diff?from=1&to=7", headers=as_user("designer"))
    assert missing.status_code == 404 and "no version 7" in missing.json["detail"]
    wrong = client.get("/api/definitions/drawn_split/diff?from=one&to=2", headers=as_user("designer"))
    assert wrong.status_code == 422 and "from" in json.dumps(wrong.json)


def test_the_cli_diffs_two_deployed_versions(settings, engine):
    _deploy_two_versions(engine)
    runner = create_app(settings, engine=engine).test_cli_runner()
    result = runner.invoke(args=["definitions", "diff", "drawn_split", "--from", "1", "--to", "2"])
    assert result.exit_code == 0, result.output
    assert [e["id"] for e in json.loads(result.output)["elements"]["added"]] == ["sign"]
    missing = runner.invoke(args=["definitions", "diff", "nothing", "--from", "1", "--to", "2"])
    assert missing.exit_code == 1 and "nothing" in missing.output


def test_a_vendor_extension_with_an_id_is_part_of_its_element_not_an_element():
    tools = Path(__file__).resolve().parent.parent / "corpus" / "tools" / "camunda" / "camunda7-form-field-ids.bpmn"
    v1 = tools.read_bytes()
    v2 = v1.replace(
        b'<camunda:formField id="approve" label="Approve"', b'<camunda:formField id="approve" label="Approved?"'
    )
    elements = diff_bundles({"p.bpmn": v1}, {"p.bpmn": v2})["elements"]
    assert (elements["added"], elements["removed"]) == ([], [])
    [changed] = elements["changed"]
    assert changed["id"] == "approve" and changed["type"] == "userTask"  # the task, not its form field
    assert any("Approved?" in line for line in changed["changes"]["content"]["added"])
