"""Required steps: where a procedure marks a step requiredStep, every path from the start passes
it (or ends where the diagram says a case may end without it); otherwise deploy refuses."""

from __future__ import annotations

import pytest

from engine import files_from_folder
from engine.definitions import ERROR
from engine.definitions.required_steps import check_required_steps
from engine.definitions.xml import Report, load_xml
from tests.conftest import BPMN

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">'
    '<bpmn:process id="p" isExecutable="true">'
)
REQUIRED = (
    '<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="requiredStep" value="true"/>'
    "</spiffworkflow:properties></bpmn:extensionElements>"
)
EXEMPT = (
    '<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="withoutRequiredSteps" '
    'value="true"/></spiffworkflow:properties></bpmn:extensionElements>'
)


def _flow(source: str, target: str, condition: str | None = None) -> str:
    body = f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>" if condition else ""
    return f'<bpmn:sequenceFlow id="{source}_{target}" sourceRef="{source}" targetRef="{target}">{body}</bpmn:sequenceFlow>'


def _findings(body: str) -> dict[str, str]:
    report = Report()
    _, root = load_xml(report, "p.bpmn", (HEAD + body + "</bpmn:process></bpmn:definitions>").encode())
    check_required_steps(report, "p.bpmn", root)
    assert all(finding.severity == ERROR for finding in report.findings)
    return {finding.element_id: finding.message for finding in report.findings}


RATE = f'<bpmn:task id="rate">{REQUIRED}</bpmn:task>'


def test_a_procedure_without_required_steps_is_not_checked():
    assert _findings('<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>' + _flow("s", "e")) == {}


def test_a_choice_that_skips_the_required_step_is_an_error():
    body = (
        '<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g"/>' + RATE + '<bpmn:endEvent id="done"/>'
        '<bpmn:endEvent id="skipped"/>'
        + _flow("s", "g")
        + _flow("g", "rate", "ok")
        + _flow("g", "skipped", "not ok")
        + _flow("rate", "done")
    )
    findings = _findings(body)
    assert set(findings) == {"skipped"}
    assert "required step task 'rate'" in findings["skipped"]
    assert "withoutRequiredSteps" in findings["skipped"]
    exempt = body.replace('<bpmn:endEvent id="skipped"/>', f'<bpmn:endEvent id="skipped">{EXEMPT}</bpmn:endEvent>')
    assert _findings(exempt) == {}


def test_a_fork_needs_one_branch_through_the_step():
    body = (
        '<bpmn:startEvent id="s"/><bpmn:parallelGateway id="fork"/><bpmn:task id="notify"/>'
        + RATE
        + '<bpmn:endEvent id="notified"/><bpmn:endEvent id="done"/>'
        + _flow("s", "fork")
        + _flow("fork", "notify")
        + _flow("fork", "rate")
        + _flow("notify", "notified")
        + _flow("rate", "done")
    )
    assert _findings(body) == {}
    assert set(_findings(body.replace(_flow("fork", "rate"), ""))) == {"notified", "rate"}


def test_a_side_branch_is_no_way_out_and_an_interrupting_boundary_event_is():
    body = (
        '<bpmn:startEvent id="s"/><bpmn:task id="work"/>' + RATE + '<bpmn:endEvent id="done"/>'
        '<bpmn:boundaryEvent id="late" attachedToRef="work" cancelActivity="false"/><bpmn:endEvent id="reviewed"/>'
        + _flow("s", "work")
        + _flow("work", "rate")
        + _flow("rate", "done")
        + _flow("late", "reviewed")
    )
    assert _findings(body) == {}
    interrupting = body.replace('cancelActivity="false"', 'cancelActivity="true"')
    assert set(_findings(interrupting)) == {"reviewed"}


def test_loops_and_dead_ends():
    loop = (
        '<bpmn:startEvent id="s"/><bpmn:task id="work"/><bpmn:exclusiveGateway id="again"/>'
        + RATE
        + '<bpmn:endEvent id="done"/>'
        + _flow("s", "work")
        + _flow("work", "again")
        + _flow("again", "work", "retry")
        + _flow("again", "rate", "not retry")
        + _flow("rate", "done")
    )
    assert _findings(loop) == {}
    dead_end = loop.replace(_flow("again", "rate", "not retry"), "")
    findings = _findings(dead_end)
    assert set(findings) == {"rate"}  # the loop has no way out at all: only the step is unreachable
    assert "cannot be reached" in findings["rate"]
    stops = loop.replace(_flow("work", "again"), "")
    findings = _findings(stops)
    assert set(findings) == {"work", "rate"}
    assert "(it has no outgoing flow)" in findings["work"]


@pytest.fixture
def transcript_files():
    return files_from_folder(BPMN / "household_transcript")


def test_deleting_the_flow_into_the_rating_step_rejects_the_transcript(engine, transcript_files):
    assert engine.deployments.validate(transcript_files, None).verdict == "executable"
    files = dict(transcript_files)
    files["household_transcript.bpmn"] = files["household_transcript.bpmn"].replace(
        b'<bpmn:sequenceFlow id="flow_issued" sourceRef="issue_transcript" targetRef="rate_service"/>', b""
    )
    bundle = engine.deployments.validate(files, None)
    assert bundle.verdict == "rejected"
    errors = {finding.element_id: finding.message for finding in bundle.findings if finding.severity == ERROR}
    assert "issue_transcript" in errors and "rate_service" in errors
    assert "callActivity 'rate_service'" in errors["issue_transcript"]


def test_the_rejection_end_is_the_only_way_around_the_rating(engine, transcript_files):
    files = dict(transcript_files)
    files["household_transcript.bpmn"] = files["household_transcript.bpmn"].replace(
        b'<spiffworkflow:property name="withoutRequiredSteps" value="true"/>', b""
    )
    errors = [finding for finding in engine.deployments.validate(files, None).findings if finding.severity == ERROR]
    assert [finding.element_id for finding in errors] == ["end_rejected"]
