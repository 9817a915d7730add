"""``db``: create or upgrade the database schema (Alembic migrations)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from engine.storage import upgrade

from .common import current_engine

group = AppGroup("db", help="Create or upgrade the database.")


@group.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations to the configured database."""
    upgrade(current_engine().database_url)
    click.echo("database is up to date")
