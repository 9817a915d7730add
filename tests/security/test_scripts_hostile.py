"""Hostile BPMN: each probe in a script task, a condition, a timer and a DMN decision.

The hostile step comes right after a one-hour timer, so the embedded scheduler runs it. Each
probe must end as an incident of its case (the step named, the kind right), the case held where it
was (its timer neither fired nor scheduled again), and the scheduler must go on: a control case
whose timer fell due at the same moment is fired. Nothing is tried again in a loop: more passes
go by and the incident still counts one attempt, and a scheduler started afresh (a restart) finds
nothing due.
"""

from __future__ import annotations

import pytest

from engine.background import TimerRunner
from tests.engine.helpers import case_row, events, open_tasks

from . import hostile
from .conftest import after_the_timer, incidents_of, wait_for

# The kind each probe's incident must have: the sandbox's limits, the step limit, or a failure
# of the script itself (a BaseException raised in it is the script's error, caught like any).
KINDS = {
    "generator_exit": "procedure_error",
    "huge_power": "resource_limit",
    "huge_multiplication": "resource_limit",
    "huge_shift": "resource_limit",
    "deep_recursion": "resource_limit",
}


def expected_kind(probe: str, place: str) -> str:
    if probe == "loop_without_wait":
        # A diagram loop meets the step limit; a runaway expression meets the time limit.
        return "step_limit" if place in ("script", "condition") else "resource_limit"
    return KINDS[probe]


@pytest.mark.parametrize("place", hostile.PLACES)
@pytest.mark.parametrize("probe", sorted(hostile.PROBES))
def test_a_hostile_step_becomes_an_incident_and_the_scheduler_goes_on(
    engine, clock, deploy, start_case, scheduler, probe, place
):
    key, files = hostile.procedure(probe, place)
    deploy(files)
    control_key, control_files = hostile.control_procedure()
    deploy(control_files)
    case = start_case(key)
    control = start_case(control_key, {})
    after_the_timer(clock)

    [incident] = wait_for(lambda: incidents_of(engine, case.case_id), "the incident")
    wait_for(lambda: open_tasks(engine, control.case_id), "the control case's timer")
    passes = scheduler.passes
    wait_for(lambda: scheduler.passes >= passes + 5, "five more scheduler passes")

    [incident] = incidents_of(engine, case.case_id)
    assert incident.status == "open" and incident.trigger == "timer"
    assert incident.kind == expected_kind(probe, place), incident.message
    loop_point = probe == "loop_without_wait" and place == "script"
    assert incident.element_id in (("hostile", "again") if loop_point else ("hostile",)), incident.message
    assert incident.attempts == 1  # not tried again by the passes since
    row = case_row(engine, case.case_id)
    assert row.status == "running" and row.timer_incident_id == incident.id and row.next_timer_at is None
    # Where it was: the failed firing left nothing; the incident is recorded in the history.
    assert [event.type for event in events(engine, case.case_id)] == ["case_started", "incident_raised"]
    assert [task.element_id for task in open_tasks(engine, control.case_id)] == ["after"]
    assert TimerRunner(engine).due(100) == []  # a restarted scheduler finds nothing to fire
    assert engine.verify_case(case.case_id).ok  # replay takes the incident as it is
