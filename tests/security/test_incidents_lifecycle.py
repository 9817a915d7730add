"""The life of an incident, through engine commands: raised by the scheduler or a worker, held
(no timer fires, no job runs, the rest of the case goes on), retried after a change of variables
or a move to a fixed version, retried in vain (one more attempt), cancelled; and failures of a
request, which answer the caller and leave no incident."""

from __future__ import annotations

from xml.sax.saxutils import escape

import pytest

from engine import Conflict, InvalidInput, ProcedureFailed
from engine import commands as cmd
from engine.background import TimerRunner
from engine.storage import ServiceJob
from tests.agencies.conftest import SimulatorControl
from tests.engine.helpers import VALID_ID, case_row, events, open_task, open_tasks

from . import hostile
from .conftest import after_the_timer, incidents_of


def types(engine, case_id: str) -> list[str]:
    return [event.type for event in events(engine, case_id)]


def held_case(engine, clock, deploy, start_case, probe: str = "huge_power"):
    """A case whose step after its timer fails: (case id, incident)."""
    key, files = hostile.procedure(probe, "script")
    deploy(files)
    case = start_case(key)
    after_the_timer(clock)
    with pytest.raises(ProcedureFailed) as failed:
        engine.handle(cmd.FireDueTimers(case.case_id))
    [incident] = incidents_of(engine, case.case_id)
    assert failed.value.details["incident_id"] == incident.id and failed.value.details["element_id"] == "hostile"
    return case.case_id, incident


def test_retry_after_a_change_of_variables_goes_on_and_records_who_and_why(engine, clock, deploy, start_case):
    case_id, incident = held_case(engine, clock, deploy, start_case)
    changed = engine.handle(cmd.RetryIncident(incident.id, "supervisor", "n was typed with extra digits", {"n": 2}))
    assert [task.element_id for task in changed.open_tasks] == ["after"]
    [resolved] = incidents_of(engine, case_id)
    assert (resolved.status, resolved.resolution, resolved.resolved_by) == ("resolved", "retried", "supervisor")
    assert resolved.resolution_reason == "n was typed with extra digits"
    history = events(engine, case_id)
    assert [event.type for event in history] == [
        "case_started",
        "incident_raised",
        "variables_changed",
        "timers_fired",
        "incident_resolved",
    ]
    change = history[2]
    assert change.actor == "supervisor" and change.payload == {
        "data": {"n": 2},
        "reason": "n was typed with extra digits",
        "incident_id": incident.id,
    }
    assert engine.case_state(case_id)["data"]["x"] == 100
    assert case_row(engine, case_id).timer_incident_id is None
    assert engine.verify_case(case_id).ok  # replay sets the variables again as recorded


def test_changing_variables_needs_a_reason_and_a_resolved_incident_is_not_retried(engine, clock, deploy, start_case):
    case_id, incident = held_case(engine, clock, deploy, start_case)
    with pytest.raises(InvalidInput) as refused:
        engine.handle(cmd.RetryIncident(incident.id, "supervisor", "  ", {"n": 2}))
    assert refused.value.details["errors"][0]["field"] == "reason"
    assert types(engine, case_id) == ["case_started", "incident_raised"]
    engine.handle(cmd.RetryIncident(incident.id, "supervisor", "fixed", {"n": 2}))
    with pytest.raises(Conflict):
        engine.handle(cmd.RetryIncident(incident.id, "supervisor"))


def test_a_retry_that_fails_again_keeps_the_incident_open_with_one_more_attempt(engine, clock, deploy, start_case):
    case_id, incident = held_case(engine, clock, deploy, start_case)
    with pytest.raises(ProcedureFailed) as failed:
        engine.handle(cmd.RetryIncident(incident.id, "supervisor"))
    assert failed.value.details["incident_id"] == incident.id and failed.value.details["reason"] == "resource_limit"
    [still] = incidents_of(engine, case_id)
    assert (still.status, still.attempts) == ("open", 2)
    assert types(engine, case_id) == ["case_started", "incident_raised", "incident_raised"]
    assert events(engine, case_id)[-1].payload["attempt"] == 2
    assert case_row(engine, case_id).timer_incident_id == incident.id and TimerRunner(engine).due(10) == []
    assert engine.verify_case(case_id).ok


def test_retry_after_moving_the_case_to_a_fixed_version(engine, clock, deploy, start_case):
    case_id, incident = held_case(engine, clock, deploy, start_case)
    key, files = hostile.procedure("huge_power", "script")
    fixed = {name: content.replace(b"x = 10 ** n", b"x = n") for name, content in files.items()}
    deploy(fixed)
    engine.handle(cmd.MoveCase(case_id, 2, "the power step is fixed", actor="designer"))
    assert case_row(engine, case_id).next_timer_at is None  # still held after the move
    changed = engine.handle(cmd.RetryIncident(incident.id, "supervisor", "moved to version 2"))
    assert [task.element_id for task in changed.open_tasks] == ["after"]
    assert engine.case_state(case_id)["data"]["x"] == hostile.CASE_DATA["n"]
    assert engine.verify_case(case_id).ok


def test_cancelling_resolves_the_incident(engine, clock, deploy, start_case):
    case_id, incident = held_case(engine, clock, deploy, start_case)
    changed = engine.handle(cmd.CancelIncident(incident.id, "supervisor", "the applicant withdrew"))
    assert changed.status == "cancelled"
    [resolved] = incidents_of(engine, case_id)
    assert (resolved.resolution, resolved.resolution_reason) == ("cancelled", "the applicant withdrew")
    assert types(engine, case_id)[-2:] == ["case_cancelled", "incident_resolved"]
    assert case_row(engine, case_id).timer_incident_id is None
    assert engine.verify_case(case_id).ok


def definitions(process_id: str, clerk_tasks: list[str], body: str) -> str:
    """A BPMN document with one process whose ``clerk_tasks`` are in the Clerk lane."""
    refs = "".join(f"<bpmn:flowNodeRef>{task}</bpmn:flowNodeRef>" for task in clerk_tasks)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
        ' xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs"'
        ' targetNamespace="https://onestop.example/tests">\n'
        f'<bpmn:process id="{process_id}" isExecutable="true">\n'
        f'<bpmn:laneSet id="lanes"><bpmn:lane id="lane_clerk" name="Clerk">{refs}</bpmn:lane></bpmn:laneSet>\n'
        f"{body}</bpmn:process></bpmn:definitions>\n"
    )


# A case with two paths after its start: a clerk's task, and a timer followed by a script that
# fails while ``broken`` is true. The clerk's path goes on while the timer's path is held.
PARALLEL = definitions(
    "two_paths",
    ["work", "later"],
    f"""
<bpmn:startEvent id="start"/>
<bpmn:parallelGateway id="split"/>
<bpmn:userTask id="work" name="Work"/>
<bpmn:userTask id="later" name="Later"/>
<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition id="wait_timer">
<bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:scriptTask id="hostile" name="Fails while broken"><bpmn:script>{escape("x = 1 / 0 if broken else 1")}</bpmn:script></bpmn:scriptTask>
<bpmn:parallelGateway id="join"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
<bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="work"/>
<bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="wait"/>
<bpmn:sequenceFlow id="f4" sourceRef="wait" targetRef="hostile"/>
<bpmn:sequenceFlow id="f5" sourceRef="work" targetRef="later"/>
<bpmn:sequenceFlow id="f6" sourceRef="hostile" targetRef="join"/>
<bpmn:sequenceFlow id="f7" sourceRef="later" targetRef="join"/>
<bpmn:sequenceFlow id="f8" sourceRef="join" targetRef="end"/>
""",
)


def test_the_rest_of_a_held_case_goes_on_and_its_timers_stay_held(engine, clock, deploy, start_case):
    deploy({"two_paths.bpmn": PARALLEL.encode()})
    case = start_case("two_paths", {"broken": True})
    after_the_timer(clock)
    with pytest.raises(ProcedureFailed):
        engine.handle(cmd.FireDueTimers(case.case_id))
    [incident] = incidents_of(engine, case.case_id)
    task = open_task(engine, case.case_id, "work")
    engine.handle(cmd.CompleteTask(task.id, "clerk", {}))  # the clerk's path goes on
    assert [t.element_id for t in open_tasks(engine, case.case_id)] == ["later"]
    assert case_row(engine, case.case_id).next_timer_at is None  # the timer is due, and still held
    assert TimerRunner(engine).due(10) == []
    engine.handle(cmd.RetryIncident(incident.id, "supervisor", "not broken after all", {"broken": False}))
    complete_later = open_task(engine, case.case_id, "later")
    assert engine.handle(cmd.CompleteTask(complete_later.id, "clerk", {})).status == "completed"
    assert engine.verify_case(case.case_id).ok


# An agency check whose answer the next step cannot take while ``broken`` is true.
SERVICE = definitions(
    "checked",
    ["after", "by_hand"],
    f"""
<bpmn:startEvent id="start"/>
<bpmn:boundaryEvent id="unanswered" attachedToRef="check"><bpmn:errorEventDefinition id="any_error"/></bpmn:boundaryEvent>
<bpmn:userTask id="by_hand" name="Check by hand"/>
<bpmn:serviceTask id="check" name="Check the register"><bpmn:extensionElements>
<spiffworkflow:serviceTaskOperator id="household_registration/identity_check" resultVariable="record">
<spiffworkflow:parameters>
<spiffworkflow:parameter id="national_id" type="str" value="national_id"/>
<spiffworkflow:parameter id="name" type="str" value="applicant_name"/>
</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask>
<bpmn:scriptTask id="hostile" name="Take the answer"><bpmn:script>{escape("matched = record['match'] if not broken else record['no such field']")}</bpmn:script></bpmn:scriptTask>
<bpmn:userTask id="after" name="After the check"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check"/>
<bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="hostile"/>
<bpmn:sequenceFlow id="f3" sourceRef="hostile" targetRef="after"/>
<bpmn:sequenceFlow id="f4" sourceRef="after" targetRef="end"/>
<bpmn:sequenceFlow id="f5" sourceRef="unanswered" targetRef="by_hand"/>
<bpmn:sequenceFlow id="f6" sourceRef="by_hand" targetRef="end"/>
""",
)


def test_an_answer_the_case_fails_on_holds_the_job_and_the_retry_applies_the_kept_answer(
    engine, deploy, start_case, simulator
):
    agencies = SimulatorControl(simulator)
    deploy({"checked.bpmn": SERVICE.encode()})
    case = start_case("checked", {"broken": True, "national_id": VALID_ID, "applicant_name": "王小明"})
    assert engine.run_due_jobs() == {"skipped": 1}  # answered; the case failed on it: held
    [incident] = incidents_of(engine, case.case_id)
    assert (incident.trigger, incident.element_id, incident.kind) == ("service_result", "hostile", "procedure_error")
    with engine.read() as session:
        job = session.get(ServiceJob, incident.job_id)
    assert job.status == "incident" and engine.run_due_jobs() == {}  # no worker takes it again
    assert types(engine, case.case_id) == ["case_started", "incident_raised"]
    requests_before = agencies.stats()["requests"]

    engine.handle(cmd.RetryIncident(incident.id, "supervisor", "the field name is fixed", {"broken": False}))
    assert agencies.stats()["requests"] == requests_before  # the kept answer, not a second call
    assert [t.element_id for t in open_tasks(engine, case.case_id)] == ["after"]
    recorded = [event for event in events(engine, case.case_id) if event.type == "service_result_recorded"]
    assert len(recorded) == 1 and recorded[0].payload["result"]["match"] is True
    with engine.read() as session:
        assert session.get(ServiceJob, incident.job_id).status == "done"
    assert engine.verify_case(case.case_id).ok


def test_a_failing_start_answers_the_caller_and_leaves_no_case_nor_incident(engine, deploy):
    key, files = hostile.procedure("generator_exit", "script", wait=None)
    deploy(files)
    with pytest.raises(ProcedureFailed) as failed:
        engine.handle(cmd.StartCase(key, dict(hostile.CASE_DATA), actor="clerk"))
    assert failed.value.details["element_id"] == "hostile" and "GeneratorExit" in failed.value.message
    assert incidents_of(engine) == []
    with engine.read() as session:
        assert session.query(ServiceJob).count() == 0


def test_a_task_whose_next_step_fails_stays_open_and_the_case_as_it_was(engine, clock, deploy, start_case):
    key, files = hostile.procedure("huge_shift", "script", wait=None, before="ask")
    deploy(files)
    case = start_case(key)
    task = open_task(engine, case.case_id, "wait")
    before = types(engine, case.case_id)
    with pytest.raises(ProcedureFailed) as failed:
        engine.handle(cmd.CompleteTask(task.id, "clerk", {}))
    assert failed.value.details["element_id"] == "hostile" and "incident_id" not in failed.value.details
    assert types(engine, case.case_id) == before and open_task(engine, case.case_id, "wait").id == task.id
    assert incidents_of(engine) == []
