"""Import as a draft, fix, deploy, through the API: the validate answer shows every finding first,
then the fixes offered and the rehearsal of a case start; a fix is previewed as a diff of the XML;
a rejected file can still be stored as a draft to be fixed in the browser."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
TOOLS = CORPUS / "tools"
ZEEBE = TOOLS / "camunda" / "camunda8-zeebe-no-lanes.bpmn"
JUEL = TOOLS / "camunda" / "camunda7-juel-conditions.bpmn"
LANES = TOOLS / "bpmnio" / "bpmnio-lanes-colors.bpmn"


def _post(client, as_user, url: str, path: Path, content: bytes | None = None, **fields):
    import io

    data = {"files": [(io.BytesIO(content if content is not None else path.read_bytes()), path.name)], **fields}
    return client.post(url, headers=as_user("designer"), content_type="multipart/form-data", data=data)


def test_validate_shows_all_findings_then_the_fixes_offered(client, as_user):
    answer = _post(client, as_user, "/api/definitions/validate", ZEEBE)
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["verdict"], body["ok"], body["rehearsal"]) == ("draft", False, None)
    laneless = [f for f in body["findings"] if f["kind"] == "task-without-lane"]
    assert {f["element_id"] for f in laneless} == {"Activity_check", "Activity_issue"}
    assert all(f["severity"] == "fixable" and f["fix"] == "assign-lane" and f["scope"] == "element" for f in laneless)
    assert all(f["messages"]["zh-TW"] and f["messages"]["en"] == f["message"] for f in body["findings"])
    [offer] = body["offers"]
    assert offer["fix"] == "assign-lane" and offer["title"]["zh-TW"] == "將未指派的工作放入泳道"
    assert {"Clerk", "Supervisor", "Handling officer", "Surveyor"} <= {c["value"] for c in offer["choices"]}


def test_a_fix_is_previewed_as_a_diff_and_the_result_checked(client, as_user):
    missing = _post(client, as_user, "/api/definitions/validate?fix=assign-lane", ZEEBE)
    assert missing.status_code == 422 and "lane" in str(missing.json)
    answer = _post(client, as_user, "/api/definitions/validate?fix=assign-lane&lane=Clerk", ZEEBE)
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["verdict"] == "executable"
    assert body["rehearsal"]["started"] and body["rehearsal"]["claimable"]
    assert [task["groups"] for task in body["rehearsal"]["tasks"]] == [["Clerk"], ["Clerk"]]
    diff = body["diffs"][ZEEBE.name]
    assert diff.startswith(f"--- {ZEEBE.name} (as uploaded)") and "+" in diff and 'name="Clerk"' in diff
    assert 'zeebe:assignmentDefinition candidateGroups="Clerk"' in body["files"][ZEEBE.name]  # vendor settings kept
    assert {fix["fix"] for fix in body["fixes"]} == {"assign-lane"}


def test_a_rejected_file_can_be_imported_as_a_draft_and_fixed(client, as_user, engine):
    refused = _post(client, as_user, "/api/definitions", JUEL)
    assert refused.status_code == 422
    stored = _post(client, as_user, "/api/definitions", JUEL, as_draft="true")
    assert stored.status_code == 201, stored.json
    assert (stored.json["verdict"], stored.json["key"]) == ("draft", "review_juel")
    version = client.get("/api/definitions/review_juel/versions/1", headers=as_user("designer")).json
    assert version["draft"] and any(f["kind"] == "expression-invalid" for f in version["findings"])
    # fixed in the browser (Python conditions instead of JUEL), then deployed
    fixed = JUEL.read_bytes().replace(b"${documentsComplete}", b"documents_complete == True")
    fixed = fixed.replace(b"${!documentsComplete}", b"documents_complete == False")
    deployed = _post(client, as_user, "/api/definitions", JUEL, content=fixed)
    assert deployed.status_code == 201, deployed.json
    assert (deployed.json["version"], deployed.json["verdict"]) == (2, "executable")


def test_an_unreadable_file_is_not_stored_even_as_a_draft(client, as_user):
    answer = _post(client, as_user, "/api/definitions", CORPUS / "bad_bpmn" / "malformed.bpmn", as_draft="true")
    assert answer.status_code == 422
    assert "cannot be read" in answer.json["detail"]
    assert client.get("/api/definitions", headers=as_user("designer")).json == []


def test_an_executable_file_imported_as_a_draft_is_deployed_as_a_new_version(client, as_user):
    imported = _post(client, as_user, "/api/definitions", LANES, as_draft="true")
    assert (imported.status_code, imported.json["verdict"]) == (201, "draft")
    started = client.post("/api/cases", headers=as_user("clerk"), json={"procedure": "Process_lanes"})
    assert started.status_code == 422  # nothing runs on a draft
    deployed = _post(client, as_user, "/api/definitions", LANES)
    assert (deployed.status_code, deployed.json["version"], deployed.json["verdict"]) == (201, 2, "executable")
    assert deployed.json["rehearsal"]["waiting"][0]["element_id"] == "Activity_receive"
    again = _post(client, as_user, "/api/definitions", LANES)
    assert (again.status_code, again.json["version"]) == (200, 2)  # the same content: the version it is
    started = client.post("/api/cases", headers=as_user("clerk"), json={"procedure": "Process_lanes"})
    assert started.status_code == 201, started.json
