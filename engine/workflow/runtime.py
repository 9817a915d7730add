"""What the engine does to a SpiffWorkflow workflow, shared by live commands and replay.

Every change to a case's workflow goes through ``apply_change``: the live command handlers
call it with the event they are about to record, and replay calls it with the recorded event.
Because the clock, the task-id sequence and service results are fixed by the event, both
produce the same state.
"""

from __future__ import annotations

import copy
import hashlib
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as BaseMessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.clock import current_now
from engine.errors import Conflict
from engine.events import (
    CASE_CANCELLED,
    DUE_DATE_CHANGED,
    INCIDENT_RAISED,
    MESSAGE_DELIVERED,
    SERVICE_DELIVERED,
    SERVICE_RESULT_RECORDED,
    SLA_EXTENDED,
    SLA_PAUSED,
    SLA_RESUMED,
    SLA_STANDARD_CHANGED,
    TASK_COMPLETED,
    TIMERS_FIRED,
    VARIABLES_CHANGED,
)
from engine.workflow import serialization, spiff_logging
from engine.workflow.failures import diagram_failures, run_engine
from engine.workflow.service_tasks import complete_service_task, fail_service_task

spiff_logging.install()  # SpiffWorkflow builds its state-change log records only when they are wanted

FORM_KEY_PROPERTY = "formJsonSchemaFilename"
FORM_UI_PROPERTY = "formUiSchemaFilename"
# The key the engine puts the case's due date under; a timer whose expression reads it is an
# SLA timer (so is one whose element has the property slaTimer=true).
SLA_DUE_KEY = "sla_due_at"
SLA_TIMER_PROPERTY = "slaTimer"
# An element with the property slaPause=true, while the case waits there, stops the SLA clock.
SLA_PAUSE_PROPERTY = "slaPause"
# An element with the property slaExtension=<amount> adds that much standard time (in the
# procedure's unit) to the case's period each time it finishes, e.g. a complaint's extension.
SLA_EXTENSION_PROPERTY = "slaExtension"
# An element with the property slaStandard=<variant> switches the case, when it finishes, to that
# standard of its procedure (the catalogue's), counted from receipt.
SLA_STANDARD_PROPERTY = "slaStandard"
# A user or manual task with the property notifyApplicant=<kind> sends the applicant that kind
# of notice when it is completed (engine.cases.notices).
NOTIFY_PROPERTY = "notifyApplicant"
# An element with the property serviceDelivered=true is where the service is delivered (the
# transcript issued, the registration made): the SLA clock stops when it finishes.
SERVICE_DELIVERED_PROPERTY = "serviceDelivered"
# The due time SLA timers (and ``sla_due_at``) hold while the clock is paused: never reached.
SUSPENDED = "9999-12-31T00:00:00+00:00"
_PAUSED_MARKER = "onestop_sla_paused"
_EXTENDED_MARKER = "onestop_sla_extensions"  # ids of the slaExtension tasks already applied
_SERVED_MARKER = "onestop_served"


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
        with diagram_failures():
            task.run()
    elif event_type == MESSAGE_DELIVERED:
        event = BpmnEvent(MessageEventDefinition(payload["name"]), payload=payload.get("payload"))
        try:
            workflow.send_event(event)
        except WorkflowException as error:
            raise Conflict(
                f"The case is not waiting for message '{payload['name']}'", message_name=payload["name"]
            ) from error
    elif event_type == TIMERS_FIRED:
        if payload.get("incident_id") is not None:  # a retry of the incident holding the timers
            _release_timers(workflow)
        with diagram_failures():
            workflow.refresh_timers()
    elif event_type == SERVICE_RESULT_RECORDED:
        _apply_service_outcome(workflow, payload)
    elif event_type == CASE_CANCELLED:
        workflow.cancel()
        return
    elif event_type == SLA_PAUSED:
        workflow.data[_PAUSED_MARKER] = True
        _set_sla_due(workflow, SUSPENDED)
        return
    elif event_type == SLA_RESUMED:
        workflow.data.pop(_PAUSED_MARKER, None)
        _set_sla_due(workflow, payload["due_at"])
        return
    elif event_type == SERVICE_DELIVERED:
        workflow.data[_SERVED_MARKER] = True
        _set_sla_due(workflow, SUSPENDED)  # the clock stopped for good: no SLA timer fires now
        return
    elif event_type == INCIDENT_RAISED:
        if payload.get("trigger") == "timer":
            _hold_due_timers(workflow, payload["incident_id"])
        return
    elif event_type == VARIABLES_CHANGED:
        _change_variables(workflow, payload["data"])
        return
    elif event_type in (DUE_DATE_CHANGED, SLA_EXTENDED, SLA_STANDARD_CHANGED):
        if event_type == SLA_EXTENDED:
            workflow.data[_EXTENDED_MARKER] = [*workflow.data.get(_EXTENDED_MARKER, ()), *payload["task_ids"]]
        # A paused case gets its date when it resumes; a served one keeps its clock stopped.
        if not workflow.data.get(_PAUSED_MARKER) and not workflow.data.get(_SERVED_MARKER):
            _set_sla_due(workflow, payload["due_at"])
        return
    else:
        return
    run_engine(workflow)


def _apply_service_outcome(workflow: BpmnWorkflow, payload: dict[str, Any]) -> None:
    with diagram_failures():  # e.g. the task's post-script fails on the answer
        if payload.get("error") is not None:
            fail_service_task(workflow, payload["task_id"], payload["error"]["code"], payload["error"])
        else:
            complete_service_task(workflow, payload["task_id"], payload.get("result"))


def changes_workflow(event_type: str) -> bool:
    return event_type in (
        TASK_COMPLETED,
        MESSAGE_DELIVERED,
        TIMERS_FIRED,
        CASE_CANCELLED,
        SLA_PAUSED,
        SLA_RESUMED,
        DUE_DATE_CHANGED,
        SLA_EXTENDED,
        SERVICE_RESULT_RECORDED,
        SERVICE_DELIVERED,
        SLA_STANDARD_CHANGED,
        VARIABLES_CHANGED,
        INCIDENT_RAISED,
    )


# ---------------------------------------------------------------------- timers held by an incident
# Where a workflow keeps the incident that holds its timers (engine.cases.incidents), and where a
# held timer keeps its due time: in the workflow itself, so that replay holds and releases them
# exactly as the live commands did.
TIMERS_HELD_KEY = "onestop_timers_held"
_HELD_VALUE = "onestop_held_event_value"


def timers_held_by(workflow: BpmnWorkflow) -> int | None:
    """The incident holding the case's timers, if one does."""
    return workflow.data.get(TIMERS_HELD_KEY)


def _hold_due_timers(workflow: BpmnWorkflow, incident_id: int) -> None:
    """Put the timers that are due (the ones whose firing failed) out of reach: SpiffWorkflow
    fires a due timer whenever any task of the case completes, so without this any later command
    on the case would fire it again and fail where it failed. The rest of the case goes on."""
    workflow.data[TIMERS_HELD_KEY] = incident_id
    now = current_now()
    for task in list(workflow.event_manager.tasks.values()):
        due = _timer_due(task)
        if due is not None and due < now:
            value = task.internal_data.get("event_value")
            task.internal_data[_HELD_VALUE] = value
            task.internal_data["event_value"] = {**value, "next": SUSPENDED} if isinstance(value, dict) else SUSPENDED


def _release_timers(workflow: BpmnWorkflow) -> None:
    workflow.data.pop(TIMERS_HELD_KEY, None)
    for task in list(workflow.event_manager.tasks.values()):
        if _HELD_VALUE in task.internal_data:
            task.internal_data["event_value"] = task.internal_data.pop(_HELD_VALUE)


def element_properties(spec) -> dict:
    """The spiffworkflow:property values of a BPMN element (name -> value)."""
    return (getattr(spec, "extensions", None) or {}).get("properties") or {}


# ---------------------------------------------------------------------- SLA timers
def is_sla_timer(spec) -> bool:
    definition = getattr(spec, "event_definition", None)
    if not isinstance(definition, TimerEventDefinition):
        return False
    return SLA_DUE_KEY in (definition.expression or "") or element_properties(spec).get(SLA_TIMER_PROPERTY) == "true"


def _waiting_sla_timers(workflow: BpmnWorkflow) -> list:
    return [
        task
        for task in list(workflow.event_manager.tasks.values())
        if task.state == TaskState.WAITING and is_sla_timer(task.task_spec)
    ]


_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def _open_tasks(workflow: BpmnWorkflow) -> list:
    """Open tasks of the process and of its running subprocesses."""
    tasks = []
    for part in [workflow, *getattr(workflow, "subprocesses", {}).values()]:
        tasks.extend(part.get_tasks(state=_OPEN))
    return tasks


def due_sla_timers(workflow: BpmnWorkflow, now: datetime) -> list[tuple[str, datetime]]:
    """SLA timers that the next refresh will fire: (element id, due time)."""
    due = []
    for task in _waiting_sla_timers(workflow):
        when = _timer_due(task)
        if when is not None and when < now:  # SpiffWorkflow fires strictly after the due time
            due.append((task.task_spec.bpmn_id or task.task_spec.name, when))
    return due


def _set_sla_timers(workflow: BpmnWorkflow, value: str) -> None:
    for task in _waiting_sla_timers(workflow):
        if _HELD_VALUE in task.internal_data:  # held by an incident: it gets the new date when released
            task.internal_data[_HELD_VALUE] = value
        elif task.internal_data.get("event_value") is not None and not task.internal_data.get("event_fired"):
            task.internal_data["event_value"] = value


def _set_sla_due(workflow: BpmnWorkflow, due_at: str) -> None:
    """Give the case a new due date (or SUSPENDED while its clock is paused): in the data that
    later steps inherit, so an SLA timer reached later reads it, and in the SLA timers waiting now."""
    # Waiting tasks merge their parent's data in again whenever they are refreshed, so the
    # parents (the last finished step on each open path) get the new value too.
    for task in _open_tasks(workflow):
        for holder in (task, task.parent):
            if holder is not None and SLA_DUE_KEY in holder.data:
                holder.data[SLA_DUE_KEY] = due_at
                serialization.settled_data_changed(holder)
    _set_sla_timers(workflow, due_at)


def _change_variables(workflow: BpmnWorkflow, data: dict[str, Any]) -> None:
    """Set variables where the case's next steps read them: in its open steps and in the step
    before each (a waiting step takes its parent's data in again when it is refreshed)."""
    for task in _open_tasks(workflow):
        for holder in (task, task.parent):
            if holder is not None:
                holder.data.update(copy.deepcopy(data))  # no list shared between two steps' data
                serialization.settled_data_changed(holder)


def sla_pause_point(workflow: BpmnWorkflow) -> str | None:
    """The element (marked slaPause=true) where the case now waits for the applicant, if any."""
    for task in _open_tasks(workflow):
        if element_properties(task.task_spec).get(SLA_PAUSE_PROPERTY) == "true":
            return task.task_spec.bpmn_id or task.task_spec.name
    return None


def sla_extension_amount(spec) -> float | None:
    """The standard time an element marked slaExtension grants, or None when it is not marked."""
    value = element_properties(spec).get(SLA_EXTENSION_PROPERTY)
    if value is None:
        return None
    try:
        amount = float(value)
    except ValueError:
        return None  # refused at deploy (engine/validation.py); never counted
    return amount if math.isfinite(amount) and amount > 0 else None


def _has_extensions(process_spec) -> bool:
    """Whether a process has any slaExtension element (remembered on the parsed spec: most have none)."""
    known = getattr(process_spec, "_onestop_has_sla_extensions", None)
    if known is None:
        known = any(sla_extension_amount(spec) for spec in process_spec.task_specs.values())
        process_spec._onestop_has_sla_extensions = known
    return known


def new_sla_extensions(workflow: BpmnWorkflow) -> list[tuple[str, float]]:
    """(task id, amount) of each finished slaExtension element not yet applied to the due date."""
    applied = set(workflow.data.get(_EXTENDED_MARKER, ()))
    found = []
    for part in [workflow, *getattr(workflow, "subprocesses", {}).values()]:
        if not _has_extensions(part.spec):
            continue
        for task in part.get_tasks(state=TaskState.COMPLETED):
            amount = sla_extension_amount(task.task_spec)
            if amount and str(task.id) not in applied:
                found.append((str(task.id), amount))
    return found


def is_service_point(spec) -> bool:
    return element_properties(spec).get(SERVICE_DELIVERED_PROPERTY) == "true"


def _marked(process_spec, prop: str) -> tuple[str, ...]:
    """Names of the process's task specs that carry the property (remembered on the parsed spec)."""
    cache = process_spec.__dict__.setdefault("_onestop_marked", {})
    if prop not in cache:
        cache[prop] = tuple(name for name, spec in process_spec.task_specs.items() if prop in element_properties(spec))
    return cache[prop]


def _finished_marked(workflow: BpmnWorkflow, prop: str) -> list:
    """Finished tasks of elements carrying the property, in the process and its subprocesses."""
    found = []
    for part in [workflow, *getattr(workflow, "subprocesses", {}).values()]:
        for name in _marked(part.spec, prop):
            # A finished task hangs under finished ones only, so the walk of finished tasks reaches it.
            found.extend(part.get_tasks(spec_name=name, state=TaskState.COMPLETED))
    return found


def delivered_service_point(workflow: BpmnWorkflow) -> str | None:
    """The element marked serviceDelivered that the case has finished, if any."""
    for task in _finished_marked(workflow, SERVICE_DELIVERED_PROPERTY):
        if is_service_point(task.task_spec):
            return task.task_spec.bpmn_id or task.task_spec.name
    return None


def chosen_standard(workflow: BpmnWorkflow) -> tuple[str, str] | None:
    """(element id, variant) of the last finished element marked slaStandard, if any."""
    finished = sorted(_finished_marked(workflow, SLA_STANDARD_PROPERTY), key=lambda task: task.last_state_change)
    if not finished:
        return None
    spec = finished[-1].task_spec
    return spec.bpmn_id or spec.name, element_properties(spec)[SLA_STANDARD_PROPERTY]


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


def waiting_for_messages(workflow: BpmnWorkflow) -> list[tuple[Any, str]]:
    """(task, message name) of every task waiting for a BPMN message, sorted by name. An
    event-based gateway waits for each of its events (a rating, or its window closing)."""
    found = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        event = getattr(task.task_spec, "event_definition", None)
        for definition in getattr(event, "event_definitions", None) or [event]:
            if isinstance(definition, BaseMessageEventDefinition):
                found.append((task, definition.name))
    return sorted(found, key=lambda item: item[1])


def _describe(task) -> ReadyTask:
    spec = task.task_spec
    properties = element_properties(spec)
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
    if not isinstance(
        getattr(task.task_spec, "event_definition", None), (TimerEventDefinition, MultipleEventDefinition)
    ):
        return None
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):  # cycles keep {'cycles', 'next', 'duration'}
        value = value.get("next") if value.get("cycles") != 0 else None  # 0: all cycles done
    if not isinstance(value, str) or value == SUSPENDED:
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
        steps.append(
            {
                "element_id": spec.bpmn_id,
                "name": spec.bpmn_name,
                "element_type": _element_type(spec),
                "finished_at": task.last_state_change,
            }
        )
    return sorted(steps, key=lambda step: step["finished_at"])
