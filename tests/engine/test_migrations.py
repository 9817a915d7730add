"""The Alembic migrations build exactly the schema the models describe, on either database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from engine.storage import METADATA


def test_the_migrated_database_matches_the_models(database_url):
    db = create_engine(database_url)
    try:
        with db.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), METADATA)
    finally:
        db.dispose()
    assert differences == []
