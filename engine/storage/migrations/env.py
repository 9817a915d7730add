"""Alembic environment: the URL comes from the caller (``engine.schema``) or ONESTOP_DATABASE_URL."""

import os

from alembic import context
from sqlalchemy import pool

import engine.storage.audit_models  # noqa: F401,E402  (its tables and indexes are part of the schema)
import engine.storage.jobs  # noqa: F401,E402  (service_jobs)
from engine.storage.db import create_db_engine
from engine.storage.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or os.environ.get(
    "ONESTOP_DATABASE_URL", "sqlite:///instance/onestop.db"
)


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = create_db_engine(url, poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    connectable.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
