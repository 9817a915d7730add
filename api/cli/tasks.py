"""``tasks``: list and complete tasks."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from engine import EngineError
from engine import commands as cmd
from engine.storage import queries

from .common import current_engine, echo, fail, json_option

group = AppGroup("tasks", help="List and complete tasks.")


@group.command("list")
@click.option("--group", "groups", multiple=True, help="only tasks of these lanes")
@click.option("--limit", default=50, show_default=True)
def tasks_list(groups: tuple[str, ...], limit: int) -> None:
    with current_engine().read() as session:
        page = queries.list_tasks(session, queries.TaskFilter(groups=groups or None, limit=limit))
        echo(
            {
                "total": page.total,
                "tasks": [
                    {
                        "id": t.id,
                        "case": number,
                        "procedure": procedure,
                        "element_id": t.element_id,
                        "name": t.name,
                        "lane": t.lane,
                        "status": t.status,
                        "assignee": t.assignee,
                        "form_key": t.form_key,
                        "created_at": t.created_at,
                        "due_at": t.due_at,
                    }
                    for t, number, procedure, _case in page.rows
                ],
            }
        )


@group.command("complete")
@click.argument("task_id")
@click.option("--data", help="form data as JSON")
@click.option("--actor", default="cli", show_default=True)
def tasks_complete(task_id: str, data: str | None, actor: str) -> None:
    try:
        changed = current_engine().handle(cmd.CompleteTask(task_id, actor, json_option(data, "--data")))
    except EngineError as error:
        fail(error)
    echo(changed.__dict__)
