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


def test_an_install_of_one_office_keeps_its_cases_and_numbers_when_offices_arrive(engine, transcript, database_url):
    """Migration 2151: every case, task and counter so far is the default office's; numbers go on
    as before (no office code), and the office's clerks still see their work."""
    from alembic import command

    from engine import commands as cmd
    from engine.storage import Case, Task, upgrade
    from engine.storage.schema import alembic_config

    from .helpers import start

    first = start(engine)
    engine.dispose()
    command.downgrade(alembic_config(database_url), "2151-1")  # to the revision before 2151
    upgrade(database_url)

    with engine.read() as session:
        assert session.execute(select(Case.office, Case.received_office)).all() == [("main", "main")]
        assert set(session.scalars(select(Task.office))) == {"main"}
    following = engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk"))
    year, number = first.number.split("-")
    assert following.number == f"{year}-{int(number) + 1:06d}"
