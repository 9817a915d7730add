"""Shaping helpers shared by the views: rows -> dicts the schemas dump."""
from __future__ import annotations

from flask import current_app

from engine import queries
from workflows.identifiers import mask_national_ids

from ..auth import engine


def settings():
    return current_app.config["ONESTOP_SETTINGS"]


def zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo(settings().timezone)


def page_window(args) -> tuple[int, int]:
    return args["per_page"], (args["page"] - 1) * args["per_page"]


def case_summary(case, version: int | None = None, *, mask: bool = True) -> dict:
    now = engine().clock.now()
    return {
        "id": case.id,
        "number": case.number,
        "procedure": case.procedure_key,
        "version": version if version is not None else engine().definition(case.definition_id).version,
        "status": case.status,
        "channel": case.channel,
        "applicant": mask_national_ids(case.applicant) if mask else case.applicant,
        "received_at": case.received_at,
        "due_at": case.due_at,
        "closed_at": case.closed_at,
        "sla_state": queries.sla_state(case, now, zone()),
    }


def task_dict(task, case_number: str, procedure: str) -> dict:
    now = engine().clock.now()
    return {
        "id": task.id, "case_id": task.case_id, "case_number": case_number, "procedure": procedure,
        "element_id": task.element_id, "name": task.name, "element_type": task.element_type,
        "lane": task.lane, "form_key": task.form_key, "status": task.status, "assignee": task.assignee,
        "created_at": task.created_at, "due_at": task.due_at,
        "overdue": task.due_at is not None and task.due_at < now and task.status in ("ready", "claimed"),
    }
