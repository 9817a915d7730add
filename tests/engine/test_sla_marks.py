"""Deploy validation of the SLA marks: a procedure with a standard time must say where its
service is delivered (serviceDelivered), and slaStandard must name a standard the catalogue has."""

from __future__ import annotations

import pytest

from engine import DefinitionInvalid, files_from_folder
from engine import commands as cmd
from tests.conftest import BPMN


def transcript_files(replace: tuple[str, str] | None = None) -> dict[str, bytes]:
    files = files_from_folder(BPMN / "household_transcript")
    if replace is not None:
        name = "household_transcript.bpmn"
        files[name] = files[name].replace(replace[0].encode(), replace[1].encode())
    return files


MARK = '<spiffworkflow:property name="serviceDelivered" value="true"/>'


def test_a_timed_procedure_without_a_service_point_is_kept_as_a_draft_naming_the_fix(engine):
    result = engine.handle(cmd.DeployDefinition(transcript_files((MARK, "")), actor="designer"))
    assert result.definition.draft
    [finding] = [f for f in result.findings if f.severity == "error"]
    assert finding.element_id == "household_transcript" and "serviceDelivered = true" in finding.message


def test_a_service_point_with_another_value_is_refused_naming_the_element(engine):
    bad = MARK.replace('"true"', '"yes"')
    with pytest.raises(DefinitionInvalid) as raised:
        engine.handle(cmd.DeployDefinition(transcript_files((MARK, bad)), actor="designer"))
    messages = {(f["element_id"], f["message"]) for f in raised.value.details["findings"] if f["severity"] == "error"}
    assert any(element == "issue_transcript" and "'yes'" in message for element, message in messages)


def test_an_unknown_standard_is_refused_naming_the_known_ones(engine):
    files = files_from_folder(BPMN / "move_in_registration")
    name = "move_in_registration.bpmn"
    files[name] = files[name].replace(b'value="residence_check"/>', b'value="site_visit"/>')
    with pytest.raises(DefinitionInvalid) as raised:
        engine.handle(cmd.DeployDefinition(files, actor="designer"))
    [finding] = [f for f in raised.value.details["findings"] if f["severity"] == "error"]
    assert finding["element_id"] == "plan_residence_check"
    assert "'site_visit'" in finding["message"] and "residence_check" in finding["message"]


def test_every_procedure_of_the_office_has_its_service_point(engine):
    for folder in sorted(path for path in BPMN.iterdir() if path.is_dir()):
        result = engine.handle(cmd.DeployDefinition(files_from_folder(folder), actor="designer"))
        assert not result.definition.draft, (folder.name, result.findings)
        assert engine.catalogue.standard_time(folder.name) is not None
        assert MARK.encode() in b"".join(files_from_folder(folder).values()), folder.name
