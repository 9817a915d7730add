"""Statements run on the driver directly read and write exactly what SQLAlchemy Core would."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from engine.storage import DirectStatement, store

from .helpers import start


def test_a_select_gives_the_same_values_as_core(engine, transcript):
    started = start(engine, applicant={"name": "王小明", "national_id": "A123456789"})
    statement = select(store.CASES).where(store.CASES.c.id == bindparam("case_id"))
    with engine.db.begin() as conn:
        core = dict(conn.execute(statement, {"case_id": started.case_id}).one()._mapping)
        direct = DirectStatement(statement).first(conn, {"case_id": started.case_id})
    assert direct == core
    assert direct["received_at"].tzinfo is not None and direct["applicant"]["name"] == "王小明"


def test_values_written_directly_read_back_through_core(engine, transcript):
    started = start(engine)
    with engine.db.begin() as conn:
        case = store.load_case(conn, started.case_id)
        case.applicant = {"name": "林美華", "tags": [1, 2]}
        case.due_at = case.received_at.replace(microsecond=123456)
        store.save_case(conn, case, case.version)
    with engine.db.begin() as conn:
        row = conn.execute(select(store.CASES).where(store.CASES.c.id == started.case_id)).one()
    assert row.applicant == {"name": "林美華", "tags": [1, 2]} and row.due_at == case.due_at
    assert row.version == case.version


def test_literals_in_the_statement_are_bound_too(engine, transcript):
    statement = DirectStatement(
        select(store.DEFINITIONS.c.process_key).where(store.DEFINITIONS.c.draft.is_(False)).limit(1)
    )
    with engine.db.begin() as conn:
        assert statement.scalar(conn, {}) == "household_transcript"


def test_driver_errors_arrive_wrapped_as_core_wraps_them(engine, transcript):
    started = start(engine)
    with engine.db.connect() as conn:
        with pytest.raises(IntegrityError):
            with conn.begin():
                row = dict(
                    conn.execute(select(store.EVENTS).where(store.EVENTS.c.case_id == started.case_id)).one()._mapping
                )
                row.pop("id", None)
                DirectStatement(insert(store.EVENTS)).executemany(conn, [row])  # the same (case, seq) again
