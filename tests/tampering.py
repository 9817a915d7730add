"""Editing history the way only someone with the database's owner or superuser rights could.

The application cannot change ``case_events``: a trigger refuses UPDATE, DELETE and TRUNCATE
(migration 0004). Tests that prove verification catches a forged history first lift that
guard, explicitly, the way such an attacker would, and put it back in the same transaction.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import text
from sqlalchemy.orm import Session


@contextmanager
def with_guard_lifted(engine) -> Iterator[Session]:
    """A write transaction in which case_events can be updated and deleted."""
    with engine.write() as session:
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE case_events DISABLE TRIGGER USER"))
            yield session
            session.flush()
            connection.execute(text("ALTER TABLE case_events ENABLE TRIGGER USER"))
        else:
            triggers = connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'case_events'")
            ).all()
            for name, _sql in triggers:
                connection.execute(text(f'DROP TRIGGER "{name}"'))
            yield session
            session.flush()
            for _name, sql in triggers:
                connection.execute(text(sql))


def tamper(engine, statement) -> None:
    with with_guard_lifted(engine) as session:
        session.execute(statement)
