"""On SQLite, a command computes its change before it takes the database's write lock, and runs
again when the case changed in between (engine/transactions.py)."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy

from engine import Conflict
from engine import commands as cmd
from engine.cases.transactions import STALE_READ_ATTEMPTS

from .helpers import RECEIVE, events, open_task, start


@pytest.fixture
def sqlite_engine(engine):
    if engine.db.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks the case row; other cases are not held up")
    yield engine
    engine.handlers.before_events_written = None


def change_meanwhile(engine, command_between, times: int | None = None) -> list[int]:
    """Run ``command_between`` in another thread each time a command has computed its change and
    has not written yet (``times`` times at most). It must finish: the computing command does
    not hold the write queue. Returns the list of attempts seen, to count them."""
    attempts: list[int] = []

    def in_between(_case) -> None:
        attempts.append(len(attempts) + 1)
        if times is not None and len(attempts) > times:
            return
        errors: list[BaseException] = []
        other = threading.Thread(target=lambda: _run(engine, command_between(), errors))
        other.start()
        other.join(60)  # blocked behind the computing command, it would never finish
        assert not other.is_alive(), "the other command waited for the computing one"
        assert not errors, errors

    engine.handlers.before_events_written = in_between
    return attempts


def _run(engine, command, errors: list) -> None:
    try:
        engine.handle(command)
    except Exception as error:  # reported to the test's thread
        errors.append(error)


def test_a_completion_runs_again_on_the_case_as_changed_meanwhile(sqlite_engine, transcript):
    engine = sqlite_engine
    started = start(engine)
    task = open_task(engine, started.case_id, "receive_application")
    attempts = change_meanwhile(engine, lambda: cmd.ClaimTask(task.id, "clerk-1"), times=1)

    engine.handle(cmd.CompleteTask(task.id, "clerk-1", RECEIVE))

    assert attempts == [1, 2]
    kinds = [event.type for event in events(engine, started.case_id)]
    assert kinds.count("task_claimed") == 1 and kinds.count("task_completed") == 1
    assert kinds.index("task_claimed") < kinds.index("task_completed")
    assert engine.verify_case(started.case_id).ok


def test_the_second_attempt_sees_what_changed_and_refuses(sqlite_engine, transcript):
    engine = sqlite_engine
    started = start(engine)
    task = open_task(engine, started.case_id, "receive_application")
    change_meanwhile(engine, lambda: cmd.ClaimTask(task.id, "clerk-2"), times=1)

    with pytest.raises(Conflict, match="claimed by clerk-2"):
        engine.handle(cmd.CompleteTask(task.id, "clerk-1", RECEIVE))

    assert "task_completed" not in [event.type for event in events(engine, started.case_id)]
    assert engine.verify_case(started.case_id).ok


def test_a_case_that_keeps_changing_ends_in_a_conflict_with_nothing_written(sqlite_engine, transcript):
    engine = sqlite_engine
    started = start(engine)
    task = open_task(engine, started.case_id, "receive_application")
    attempts = change_meanwhile(engine, lambda: cmd.ClaimTask(task.id, "clerk-1"))

    with pytest.raises(Conflict, match="at the same time"):
        engine.handle(cmd.CancelCase(started.case_id, "applicant withdrew", actor="clerk-1"))

    assert len(attempts) == STALE_READ_ATTEMPTS
    kinds = [event.type for event in events(engine, started.case_id)]
    assert "case_cancelled" not in kinds and kinds.count("task_claimed") == STALE_READ_ATTEMPTS
    assert engine.verify_case(started.case_id).ok


def test_a_snapshot_nobody_wrote_after_becomes_the_write_transaction(sqlite_engine, transcript):
    """Nothing committed while the command computed: it writes in the transaction it read in,
    without reading the case's version again."""
    engine = sqlite_engine
    started = start(engine)
    task = open_task(engine, started.case_id, "receive_application")
    statements = trace_statements(engine)

    engine.handle(cmd.CompleteTask(task.id, "clerk-1", RECEIVE))

    assert not any(statement.startswith(("ROLLBACK", "BEGIN IMMEDIATE")) for statement in statements)
    assert not any("SELECT cases.version" in statement for statement in statements)
    assert engine.verify_case(started.case_id).ok


def test_a_writer_outside_the_queue_is_waited_for(sqlite_engine, transcript):
    """A snapshot cannot wait for SQLite's write lock: when a writer that does not queue (a
    session of the API, say) holds it, the command begins a new transaction, which waits, and
    then checks the case's version."""
    engine = sqlite_engine
    started = start(engine)
    task = open_task(engine, started.case_id, "receive_application")
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        with engine.db.connect() as conn:  # BEGIN IMMEDIATE: SQLite's write lock
            with conn.begin():
                holding.set()
                release.wait(60)

    holder = threading.Thread(target=hold_the_lock)

    def in_between(_case) -> None:
        holder.start()
        assert holding.wait(60)

    engine.handlers.before_events_written = in_between
    # The lock is let go when the command, refused it on its snapshot, begins anew and waits.
    statements = trace_statements(
        engine, on=lambda sql: release.set() if sql == "BEGIN IMMEDIATE" and holding.is_set() else None
    )
    engine.handle(cmd.CompleteTask(task.id, "clerk-1", RECEIVE))
    holder.join(60)

    assert "BEGIN IMMEDIATE" in statements and any("SELECT cases.version" in s for s in statements)
    assert [event.type for event in events(engine, started.case_id)].count("task_completed") == 1
    assert engine.verify_case(started.case_id).ok


def trace_statements(engine, on=None) -> list[str]:
    """The SQL the engine's connections run from now on (each connection the pool gives out)."""
    seen: list[str] = []

    def traced(sql: str) -> None:
        seen.append(sql)
        if on is not None:
            on(sql)

    engine.db.dispose()  # new connections, each traced

    @sqlalchemy.event.listens_for(engine.db, "connect")
    def _trace(dbapi_connection, _record) -> None:
        dbapi_connection.set_trace_callback(traced)

    return seen
