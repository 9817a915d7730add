"""Alembic environment: the URL comes from the caller (``engine.storage.schema``) or ONESTOP_DATABASE_URL."""

import os

from alembic import context
from sqlalchemy import pool

from engine.storage import METADATA
from engine.storage.db import create_db_engine

config = context.config
url = config.get_main_option("sqlalchemy.url") or os.environ.get(
    "ONESTOP_DATABASE_URL", "sqlite:///instance/onestop.db"
)


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=METADATA, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = create_db_engine(url, poolclass=pool.NullPool)
    with connectable.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite changes a table's constraints by rebuilding it (batch mode): copy, drop, rename.
            # Dropping a table other rows refer to must not trip its foreign keys meanwhile; they are
            # checked once the migrations are done (SQLite's own recipe for altering tables).
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(connection=connection, target_metadata=METADATA, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() if sqlite else []
            if broken:
                raise RuntimeError(f"the migration left rows whose references are missing: {broken[:5]}")
    connectable.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
