"""Messages a case sends by itself: the engine puts them in the outbox in the command's own
transaction, so a message exists exactly when the change that caused it committed.

Two occasions: the case passed its standard time (``sla_breach``, once, with the breach),
and a diagram's user or manual task marked ``notifyApplicant`` = <kind> was completed (the
one-time notice of missing documents, say). What is said, to whom and by which channel is the
domain pack's ``NotificationPolicy``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection

from engine.registries import NotificationPolicy, ProcedureCatalogue
from engine.storage import store
from engine.storage.store import CaseRecord
from engine.workflow.runtime import NOTIFY_PROPERTY, element_properties


def queue(
    conn: Connection,
    case: CaseRecord,
    kind: str,
    now: datetime,
    policy: NotificationPolicy,
    catalogue: ProcedureCatalogue,
    *,
    occasion: str = "",
    data: dict[str, Any] | None = None,
) -> int:
    """Queue what ``policy`` says on ``kind`` of occasion. ``occasion`` tells apart occasions of
    one kind (each notice task sends its own message); ``data`` is the task's data, for a notice."""
    facts = {
        "case_id": case.id,
        "number": case.number,
        "procedure": case.procedure_key,
        "standard_time": catalogue.standard_time(case.procedure_key, channel=case.channel),
        "applicant": case.applicant,
        "received_at": case.received_at,
        "due_at": case.due_at,
        "overdue_at": case.overdue_at,
        "served_at": case.served_at,
        "data": data or {},
    }
    return store.queue_notifications(conn, case.id, kind, policy.drafts(kind, facts), now, occasion=occasion)


def completion_notice(workflow, task_id: str) -> tuple[str, dict[str, Any]] | None:
    """(kind, the task's data) when the just completed task's element asks for a notice."""
    task = workflow.get_task_from_id(UUID(task_id))
    kind = element_properties(task.task_spec).get(NOTIFY_PROPERTY)
    return (kind, dict(task.data)) if kind else None
