"""The Alembic migrations build exactly the schema the models describe, on either database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select

from engine.storage import METADATA


def test_the_migrated_database_matches_the_models(database_url):
    db = create_engine(database_url)
    try:
        with db.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), METADATA)
    finally:
        db.dispose()
    assert differences == []


def test_open_tasks_get_their_inbox_order_when_the_schema_migrates(engine, transcript, database_url, clock):
    """Migration 1901 fills tasks.effective_due_at for the open tasks it finds: the task's own due
    date, else its case's; on the way back down the column goes again."""
    from alembic import command

    from engine.storage import Task, upgrade
    from engine.storage.schema import alembic_config

    from .helpers import RECEIVE, complete, start

    waiting = start(engine).case_id
    moving_on = start(engine).case_id
    complete(engine, moving_on, "receive_application", RECEIVE)  # issue_transcript: a due date of its own
    with engine.read() as session:
        kept = {task.id: task.effective_due_at for task in session.scalars(select(Task)) if task.status == "ready"}
    assert len(kept) == 2 and None not in kept.values()
    engine.dispose()

    command.downgrade(alembic_config(database_url), "1901-1")  # to the revision before 1901
    upgrade(database_url)

    with engine.read() as session:
        tasks = list(session.scalars(select(Task)))
    assert {task.id: task.effective_due_at for task in tasks if task.status == "ready"} == kept
    assert {task.case_id for task in tasks if task.effective_due_at is not None} == {waiting, moving_on}
