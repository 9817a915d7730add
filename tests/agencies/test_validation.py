"""Deploy-time check: a service task that asks another agency must have an error boundary event,
or a failing agency would leave its cases waiting with nobody to take over."""

from __future__ import annotations

import re

import pytest

from engine import DefinitionInvalid, files_from_folder
from engine import commands as cmd

from ..conftest import BPMN


def without_fallback(bpmn: bytes) -> bytes:
    text = bpmn.decode("utf-8")
    text = re.sub(
        r'<bpmn:boundaryEvent id="household_record_unavailable".*?</bpmn:boundaryEvent>', "", text, flags=re.DOTALL
    )
    text = re.sub(r'\s*<[^>]*"(household_record_unavailable|flow_agency_failed)(_di)?"[^>]*/>', "", text)
    text = re.sub(
        r'<bpmndi:(BPMNShape|BPMNEdge) [^>]*bpmnElement="(household_record_unavailable|flow_agency_failed)"'
        r".*?</bpmndi:\1>",
        "",
        text,
        flags=re.DOTALL,
    )
    text = text.replace("<bpmn:incoming>flow_agency_failed</bpmn:incoming>", "")
    text = text.replace("<bpmn:flowNodeRef>household_record_unavailable</bpmn:flowNodeRef>", "")
    assert "household_record_unavailable" not in text and "flow_agency_failed" not in text
    return text.encode("utf-8")


def test_an_agency_check_without_a_fallback_is_refused(engine):
    files = files_from_folder(BPMN / "household_transcript")
    files["household_transcript.bpmn"] = without_fallback(files["household_transcript.bpmn"])
    with pytest.raises(DefinitionInvalid) as refused:
        engine.handle(cmd.DeployDefinition(files, actor="designer"))
    [finding] = [f for f in refused.value.details["findings"] if f["severity"] == "error"]
    assert finding["element_id"] == "verify_household_record" and "error boundary event" in finding["message"]
    # With the boundary event, as shipped, it deploys.
    assert engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / "household_transcript"))).created
