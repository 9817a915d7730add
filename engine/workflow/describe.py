"""A case's serialized workflow described in plain JSON: its data and its open and finished steps."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from engine.workflow import runtime, serialization
from engine.workflow.service_tasks import waiting_service_tasks


def describe_state(
    state: str | None, definition, seq: int, divergence: str | None = None, task_id: str | None = None
) -> dict[str, Any]:
    """A JSON-able summary of a serialized workflow: its data and open and finished steps; with
    ``task_id``, also the data of that task (``task_data``, None if it has no such task)."""
    if state is None:
        return {
            "seq": seq,
            "data": {},
            "open_data": {},
            "task_data": None,
            "ready_tasks": [],
            "awaited_messages": [],
            "awaited_message_data": {},
            "waiting_services": [],
            "completed_steps": [],
            "current_elements": [],
            "divergence": divergence,
        }
    workflow = serialization.loads(state, definition.spec, definition.subprocess_specs)
    waiting = runtime.waiting_for_messages(workflow)
    return {
        "seq": seq,
        "completed": workflow.is_completed(),
        "data": current_data(workflow),
        "open_data": open_step_data(workflow),
        "task_data": _task_data(workflow, task_id) if task_id else None,
        "ready_tasks": [task.__dict__ for task in runtime.ready_tasks(workflow)],
        "awaited_messages": sorted({name for _task, name in waiting}),
        # The data where each message is awaited (inside a subprocess, say: what it is waiting for).
        "awaited_message_data": {name: dict(task.data) for task, name in waiting},
        # Service tasks waiting for another agency's answer: where the case stands meanwhile.
        "waiting_services": [
            {"element_id": task.element_id, "name": task.name, "operation": task.operation}
            for task in waiting_service_tasks(workflow)
        ],
        "completed_steps": runtime.completed_steps(workflow),
        "current_elements": current_elements(workflow),
        "next_timer_at": runtime.next_timer_due(workflow),
        "divergence": divergence,
    }


def current_data(workflow) -> dict[str, Any]:
    if workflow.is_completed():
        # The engine's own bookkeeping (SLA clock markers, onestop_*) is not case data.
        return {key: value for key, value in workflow.data.items() if not key.startswith("onestop_")}
    task = workflow.last_task or workflow.task_tree
    return dict(task.data)


def open_step_data(workflow) -> dict[str, Any]:
    """The data where the case stands: at its first ready task, else at the first task waiting
    for a message; inside a called subprocess (the document check) that holds the subprocess's
    variables too (what is missing, by when). Else the data after the last finished step."""
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    waiting = [task for task, _name in runtime.waiting_for_messages(workflow)]
    for task in [*ready, *waiting]:
        return dict(task.data)
    return current_data(workflow)


def current_elements(workflow) -> list[str]:
    """The BPMN elements where the case stands: its ready tasks, tasks waiting for a message and
    service tasks waiting for an agency, each with the call activities it runs inside (so the
    main diagram marks the call activity of a step in a shared subprocess)."""
    tasks = [
        *workflow.get_tasks(state=TaskState.READY, manual=True),
        *(task for task, _name in runtime.waiting_for_messages(workflow)),
        *(workflow.get_task_from_id(UUID(waiting.task_id)) for waiting in waiting_service_tasks(workflow)),
    ]
    found: list[str] = []
    for task in tasks:
        while task is not None:
            element = getattr(task.task_spec, "bpmn_id", None)
            if element and element not in found:
                found.append(element)
            parent = getattr(task.workflow, "parent_task_id", None)
            task = workflow.get_task_from_id(parent) if parent is not None else None
    return found


def _task_data(workflow, task_id: str) -> dict[str, Any] | None:
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (KeyError, ValueError, TaskNotFoundException):
        return None
    return dict(task.data) if task is not None else None
