"""What the engine does to a SpiffWorkflow workflow, shared by live commands and replay.

Every change to a case's workflow goes through ``apply_change``: the live command handlers
call it with the event they are about to record, and replay calls it with the recorded event.
Because the clock, the task-id sequence and service results are fixed by the event, both
produce the same state.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from .errors import Conflict, ProcedureFailed

# Event types that change the workflow. The others (claims, notes, case_completed...) only
# change projections and are skipped by replay's workflow step.
TASK_COMPLETED = "task_completed"
MESSAGE_DELIVERED = "message_delivered"
TIMERS_FIRED = "timers_fired"
CASE_CANCELLED = "case_cancelled"
CASE_STARTED = "case_started"
SERVICE_RESULT_RECORDED = "service_result_recorded"

FORM_KEY_PROPERTY = "formJsonSchemaFilename"


@dataclass(frozen=True)
class ReadyTask:
    """A READY user or manual task, as the inbox projection needs it."""

    id: str
    element_id: str
    name: str | None
    element_type: str
    lane: str | None
    form_key: str | None
    due_at: datetime | None


def state_hash(state_json: str) -> str:
    return hashlib.sha256(state_json.encode("utf-8")).hexdigest()


def run_engine(workflow: BpmnWorkflow) -> None:
    """Run every automatic step; BPMN failures become ProcedureFailed naming the element."""
    try:
        workflow.do_engine_steps()
    except WorkflowException as error:
        raise _procedure_failed(error) from error


def _procedure_failed(error: WorkflowException) -> ProcedureFailed:
    task = getattr(error, "task", None)
    spec = getattr(error, "task_spec", None) or (task.task_spec if task is not None else None)
    element_id = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
    message = str(error)
    for note in getattr(error, "__notes__", []) or []:
        message += f" ({note})"
    return ProcedureFailed(
        f"The procedure failed at {element_id or 'an unknown element'}: {message}",
        element_id=element_id,
        element_name=getattr(spec, "bpmn_name", None),
        error_type=type(error).__name__,
    )


def start_workflow(spec, subprocess_specs: dict, data: dict[str, Any], script_engine) -> BpmnWorkflow:
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
    workflow.task_tree.data.update(data)
    run_engine(workflow)
    return workflow


def apply_change(workflow: BpmnWorkflow, event_type: str, payload: dict[str, Any]) -> None:
    """Apply one workflow-changing event (see the constants above) and run the engine."""
    if event_type == TASK_COMPLETED:
        task = find_ready_task(workflow, payload["task_id"])
        _add_task_data(task, payload.get("data") or {})
        try:
            task.run()
        except WorkflowException as error:
            raise _procedure_failed(error) from error
    elif event_type == MESSAGE_DELIVERED:
        event = BpmnEvent(MessageEventDefinition(payload["name"]), payload=payload.get("payload"))
        try:
            workflow.send_event(event)
        except WorkflowException as error:
            raise Conflict(
                f"The case is not waiting for message '{payload['name']}'", message_name=payload["name"]
            ) from error
    elif event_type == TIMERS_FIRED:
        workflow.refresh_timers()
    elif event_type == CASE_CANCELLED:
        workflow.cancel()
        return
    else:
        return
    run_engine(workflow)


def changes_workflow(event_type: str) -> bool:
    return event_type in (TASK_COMPLETED, MESSAGE_DELIVERED, TIMERS_FIRED, CASE_CANCELLED)


def find_ready_task(workflow: BpmnWorkflow, task_id: str):
    """The READY user/manual task with this id, or Conflict (checked here because
    SpiffWorkflow's ``task.run()`` would happily re-run a completed task)."""
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (ValueError, KeyError):
        task = None
    if task is None:
        raise Conflict(f"Task {task_id} is not part of this case", task_id=task_id)
    if task.state != TaskState.READY or not task.task_spec.manual:
        raise Conflict(
            f"Task {task_id} ({task.task_spec.bpmn_id}) is no longer open: it is {TaskState.get_name(task.state)}",
            task_id=task_id,
            state=TaskState.get_name(task.state),
        )
    return task


def _add_task_data(task, data: dict[str, Any]) -> None:
    if hasattr(task.task_spec, "add_data_from_form"):
        task.task_spec.add_data_from_form(task, data)  # honours spiffworkflow:variableName
    else:
        task.data.update(data)


def ready_tasks(workflow: BpmnWorkflow) -> list[ReadyTask]:
    return [_describe(task) for task in workflow.get_tasks(state=TaskState.READY, manual=True)]


def _describe(task) -> ReadyTask:
    spec = task.task_spec
    properties = (getattr(spec, "extensions", None) or {}).get("properties") or {}
    return ReadyTask(
        id=str(task.id),
        element_id=spec.bpmn_id or spec.name,
        name=spec.bpmn_name,
        element_type=_element_type(spec),
        lane=spec.lane,
        form_key=properties.get(FORM_KEY_PROPERTY),
        due_at=_boundary_timer_due(task),
    )


def _element_type(spec) -> str:
    name = type(spec).__name__
    return name[0].lower() + name[1:]


def _boundary_timer_due(task) -> datetime | None:
    """The earliest pending timer on the task's boundary (e.g. its SLA), if any.

    A task with boundary events sits under a split task whose other children are the events.
    """
    parent = task.parent
    if parent is None:
        return None
    return _earliest(_timer_due(sibling) for sibling in parent.children if sibling is not task)


def _timer_due(task) -> datetime | None:
    if task.state != TaskState.WAITING:
        return None
    # An event-based gateway waits on a MultipleEventDefinition that holds its timer's due time.
    if not isinstance(getattr(task.task_spec, "event_definition", None), (TimerEventDefinition, MultipleEventDefinition)):
        return None
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):  # cycles keep {'cycles', 'next', 'duration'}
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def next_timer_due(workflow: BpmnWorkflow) -> datetime | None:
    """When the scheduler must next wake this case (earliest waiting timer), or None."""
    return _earliest(_timer_due(task) for task in list(workflow.event_manager.tasks.values()))


def _earliest(values: Iterable[datetime | None]) -> datetime | None:
    present = [value for value in values if value is not None]
    return min(present) if present else None


def completed_steps(workflow: BpmnWorkflow) -> list[dict[str, Any]]:
    """Finished BPMN activities and events (not the library's internal tasks), in order."""
    steps = []
    # get_tasks(state=COMPLETED) stops at unfinished tasks, so walk everything and filter.
    for task in workflow.get_tasks(state=TaskState.ANY_MASK):
        spec = task.task_spec
        if task.state != TaskState.COMPLETED or spec.bpmn_id is None:  # internal helpers such as the start/end wrappers
            continue
        steps.append({"element_id": spec.bpmn_id, "name": spec.bpmn_name, "element_type": _element_type(spec),
                      "finished_at": task.last_state_change})
    return sorted(steps, key=lambda step: step["finished_at"])
