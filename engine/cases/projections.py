"""The projections a command keeps in step with its case's workflow, in the command's own
transaction: the inbox rows (one per READY user or manual task) and the service jobs (one per
service task waiting for another agency's answer).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from engine.storage import jobs, store
from engine.storage.store import CaseRecord, TaskRecord
from engine.workflow import runtime
from engine.workflow.service_tasks import WaitingServiceTask, waiting_service_tasks


def sync_inbox(
    conn: Connection,
    case: CaseRecord,
    ready_before: list[runtime.ReadyTask],
    ready_after: list[runtime.ReadyTask],
    now: datetime,
    completed_task: tuple[str, str] | None,
) -> None:
    """Make the case's inbox rows follow its READY user/manual tasks."""
    after = {task.id: task for task in ready_after}
    closed = []
    for task in ready_before:
        still_open = after.pop(task.id, None)
        if still_open is not None:
            if still_open.due_at != task.due_at:
                store.set_task_due(conn, task.id, still_open.due_at, case.due_at)
            if _described(still_open) != _described(task):  # the case moved to a new version
                store.describe_task(conn, task.id, **_described(still_open))
        elif completed_task is not None and task.id == completed_task[0]:
            closed.append((task.id, "completed", now, completed_task[1]))
        else:
            closed.append((task.id, "cancelled", now, None))
    store.close_tasks(conn, closed)
    store.insert_tasks(
        conn,
        [
            TaskRecord(
                id=task.id,
                case_id=case.id,
                element_id=task.element_id,
                name=task.name,
                element_type=task.element_type,
                lane=task.lane,
                form_key=task.form_key,
                status="ready",
                assignee=None,
                created_at=now,
                due_at=task.due_at,
                effective_due_at=store.effective_due(task.due_at, case.due_at),
                office=case.office,
            )
            for task in after.values()
        ],
    )


def sync_service_jobs(
    conn: Connection, case: CaseRecord, waiting_before: list[WaitingServiceTask], workflow, now: datetime
) -> list[WaitingServiceTask]:
    """A job for each service task that started waiting; none any more for those that
    stopped waiting without an answer (the answered one's job is already closed). Returns
    the service tasks waiting now."""
    before = {task.task_id for task in waiting_before}
    after = waiting_service_tasks(workflow) if case.status == "running" else []
    jobs.queue(conn, case.id, [task for task in after if task.task_id not in before], now)
    jobs.cancel(conn, list(before - {task.task_id for task in after}), now)
    return after


def _described(task: runtime.ReadyTask) -> dict[str, Any]:
    return {
        "name": task.name,
        "element_id": task.element_id,
        "element_type": task.element_type,
        "lane": task.lane,
        "form_key": task.form_key,
    }
