"""Read side: cases, inbox, history. Plain reads in a snapshot, no workflow loading."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .errors import NotFound
from .models import Case, CaseEvent, Definition, Task


@dataclass(frozen=True)
class TaskFilter:
    groups: Sequence[str] | None = None  # lanes the caller may work; None = all
    assignee: str | None = None
    procedure: str | None = None
    overdue_at: datetime | None = None  # only tasks due before this moment
    statuses: Sequence[str] = ("ready", "claimed")
    limit: int = 50
    offset: int = 0


def list_tasks(session: Session, task_filter: TaskFilter) -> tuple[list[Task], int]:
    query = select(Task).where(Task.status.in_(task_filter.statuses))
    if task_filter.groups is not None:
        query = query.where(Task.lane.in_(list(task_filter.groups)))
    if task_filter.assignee is not None:
        query = query.where(Task.assignee == task_filter.assignee)
    if task_filter.procedure is not None:
        query = query.join(Case, Case.id == Task.case_id).where(Case.procedure_key == task_filter.procedure)
    if task_filter.overdue_at is not None:
        query = query.where(Task.due_at < task_filter.overdue_at)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.order_by(Task.due_at.is_(None), Task.due_at, Task.created_at, Task.id)
        .limit(task_filter.limit).offset(task_filter.offset)
    ).all()
    return list(rows), total


def get_task(session: Session, task_id: str) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"Task {task_id} does not exist", task_id=task_id)
    return task


def get_case(session: Session, case_id: str) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"Case {case_id} does not exist", case_id=case_id)
    return case


def get_case_by_number(session: Session, number: str) -> Case:
    case = session.scalar(select(Case).where(Case.number == number))
    if case is None:
        raise NotFound(f"Case {number} does not exist", number=number)
    return case


def case_events(session: Session, case_id: str) -> list[CaseEvent]:
    return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)))


def case_tasks(session: Session, case_id: str) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.case_id == case_id).order_by(Task.created_at, Task.id)))


def list_definitions(session: Session) -> list[Definition]:
    return list(session.scalars(select(Definition).order_by(Definition.process_key, Definition.version)))


def definition_versions(session: Session, process_key: str) -> list[Definition]:
    rows = list(session.scalars(
        select(Definition).where(Definition.process_key == process_key).order_by(Definition.version)
    ))
    if not rows:
        raise NotFound(f"No procedure '{process_key}' is deployed", procedure=process_key)
    return rows


def case_ids(session: Session, after: str | None, limit: int) -> list[str]:
    query = select(Case.id).order_by(Case.id).limit(limit)
    if after is not None:
        query = query.where(Case.id > after)
    return list(session.scalars(query))
