"""A case's serialized workflow described in plain JSON: its data and its open and finished steps."""

from __future__ import annotations

from typing import Any

from engine.workflow import runtime, serialization


def describe_state(state: str | None, definition, seq: int, divergence: str | None = None) -> dict[str, Any]:
    """A JSON-able summary of a serialized workflow: its data and open and finished steps."""
    if state is None:
        return {
            "seq": seq,
            "data": {},
            "ready_tasks": [],
            "awaited_messages": [],
            "awaited_message_data": {},
            "completed_steps": [],
            "divergence": divergence,
        }
    workflow = serialization.loads(state, definition.spec, definition.subprocess_specs)
    waiting = runtime.waiting_for_messages(workflow)
    return {
        "seq": seq,
        "completed": workflow.is_completed(),
        "data": current_data(workflow),
        "ready_tasks": [task.__dict__ for task in runtime.ready_tasks(workflow)],
        "awaited_messages": sorted({name for _task, name in waiting}),
        # The data where each message is awaited (inside a subprocess, say: what it is waiting for).
        "awaited_message_data": {name: dict(task.data) for task, name in waiting},
        "completed_steps": runtime.completed_steps(workflow),
        "next_timer_at": runtime.next_timer_due(workflow),
        "divergence": divergence,
    }


def current_data(workflow) -> dict[str, Any]:
    if workflow.is_completed():
        # The engine's own bookkeeping (SLA clock markers, onestop_*) is not case data.
        return {key: value for key, value in workflow.data.items() if not key.startswith("onestop_")}
    task = workflow.last_task or workflow.task_tree
    return dict(task.data)
