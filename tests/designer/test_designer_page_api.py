"""What the designer's page asks the server: the extensions a diagram may name (offered by the
properties panel) and the preview of a deploy (findings, and the diff against the current version)."""

from __future__ import annotations

from tests.api.conftest import TRANSCRIPT_FILES


def _upload(client, as_user, path: str, files: dict[str, bytes]):
    import io

    return client.post(
        path,
        headers=as_user("designer"),
        content_type="multipart/form-data",
        data={"files": [(io.BytesIO(content), name) for name, content in files.items()]},
    )


def _transcript() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in TRANSCRIPT_FILES}


def test_the_extensions_name_what_the_engine_reads(client, as_user):
    answer = client.get("/api/designer/extensions", headers=as_user("designer"))
    assert answer.status_code == 200, answer.json
    body = answer.json
    functions = {item["name"]: item for item in body["script_functions"]}
    assert functions["working_days_after"]["for_timers"] is True
    assert functions["working_days_after"]["signature"].startswith("working_days_after(days)")
    assert "working day" in functions["working_days_after"]["summary"]
    assert functions["valid_national_id"]["for_timers"] is False
    operators = {item["name"]: item for item in body["operators"]}
    assert operators["household_registration/identity_check"]["asynchronous"] is True
    assert "documents_missing" in body["notice_kinds"]
    assert {"Clerk", "Supervisor", "Records"} <= set(body["groups"])
    assert "tw-national-id" in body["form_formats"]
    assert client.get("/api/designer/extensions", headers=as_user("clerk")).status_code == 403


def test_a_deploy_preview_lists_the_findings_and_the_changes(client, as_user):
    files = _transcript()
    first = _upload(client, as_user, "/api/designer/deploy-preview", files)
    assert first.status_code == 200, first.json
    assert (first.json["key"], first.json["current_version"], first.json["diff"]) == (
        "household_transcript",
        None,
        None,
    )
    assert first.json["verdict"] == "executable"
    assert _upload(client, as_user, "/api/definitions", files).status_code == 201

    renamed = dict(files)
    renamed["household_transcript.bpmn"] = files["household_transcript.bpmn"].replace(
        'name="逾時檢視 Review delayed transcript"'.encode(), 'name="逾時檢視 Review the delay"'.encode()
    )
    preview = _upload(client, as_user, "/api/designer/deploy-preview", renamed).json
    assert preview["current_version"] == 1
    assert preview["diff"]["files"]["changed"] == ["household_transcript.bpmn"]
    changed = {item["id"]: item["changes"] for item in preview["diff"]["elements"]["changed"]}
    assert changed == {
        "review_delay": {"name": {"from": "逾時檢視 Review delayed transcript", "to": "逾時檢視 Review the delay"}}
    }
    validate = _upload(client, as_user, "/api/definitions/validate", renamed).json
    assert preview["findings"] == validate["findings"]  # the same findings as validate
    assert preview["warnings"] == sum(1 for finding in validate["findings"] if finding["severity"] == "warning")
    # Nothing was deployed by the preview; the versions list the findings validate gives for them.
    versions = client.get("/api/definitions/household_transcript", headers=as_user("designer")).json["versions"]
    assert len(versions) == 1
    assert versions[0]["findings"] == _upload(client, as_user, "/api/definitions/validate", files).json["findings"]
    assert any(finding["severity"] == "warning" for finding in versions[0]["findings"])

    broken = dict(files)
    broken["household_transcript.bpmn"] = files["household_transcript.bpmn"].replace(
        b"identity_valid = valid_national_id(national_id)", b"identity_valid = = 1"
    )
    preview = _upload(client, as_user, "/api/designer/deploy-preview", broken).json
    assert (preview["verdict"], preview["ok"]) == ("rejected", False)
    assert preview["errors"] >= 1
    assert any(f["element_id"] == "check_identity" and f["severity"] == "error" for f in preview["findings"])
