"""Races between clerks and failures in the middle of a command."""

from __future__ import annotations

import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from engine import Conflict
from engine import commands as cmd
from engine.storage import Case, CaseEvent, Task

from .helpers import RECEIVE, events, open_task, start


def test_twenty_clerks_complete_the_same_task_exactly_once(engine, transcript):
    started = start(engine)
    task = open_task(engine, started.case_id, "receive_application")
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def clerk(number: int) -> None:
        barrier.wait()
        try:
            engine.handle(cmd.CompleteTask(task.id, f"clerk-{number}", RECEIVE))
            outcome = "ok"
        except Conflict:
            outcome = "conflict"
        except Exception as error:  # anything else is a bug, reported with its type
            outcome = f"error: {type(error).__name__}: {error}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=clerk, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict"] * 19 + ["ok"]
    completions = [e for e in events(engine, started.case_id) if e.type == "task_completed"]
    assert len(completions) == 1
    assert engine.verify_case(started.case_id).ok


def _snapshot(engine, case_id):
    with engine.read() as session:
        case = session.get(Case, case_id)
        return (
            case.state,
            case.version,
            case.last_event_seq,
            session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)),
            sorted((t.id, t.status, t.assignee) for t in session.scalars(select(Task).where(Task.case_id == case_id))),
        )


def test_a_failure_mid_command_leaves_no_partial_write(engine, transcript):
    started = start(engine)
    before = _snapshot(engine, started.case_id)
    task = open_task(engine, started.case_id, "receive_application")

    def explode(case):
        raise RuntimeError("disk full")  # after the state was changed in the session, before events

    engine.handlers.before_events_written = explode
    with pytest.raises(RuntimeError):
        engine.handle(cmd.CompleteTask(task.id, "clerk-1", RECEIVE))
    engine.handlers.before_events_written = None

    assert _snapshot(engine, started.case_id) == before
    engine.handle(cmd.CompleteTask(task.id, "clerk-1", RECEIVE))  # and the case still works
    assert engine.verify_case(started.case_id).ok


def test_a_failed_start_leaves_nothing(engine, transcript):
    engine.handlers.before_events_written = lambda case: (_ for _ in ()).throw(RuntimeError("crash"))
    with pytest.raises(RuntimeError):
        start(engine)
    engine.handlers.before_events_written = None
    with engine.read() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
        assert session.scalar(select(func.count()).select_from(CaseEvent)) == 0
        assert session.scalar(select(func.count()).select_from(Task)) == 0


def test_writers_of_two_processes_take_turns_through_the_write_queue(engine, transcript, settings, clock):
    """On SQLite the command transactions of all processes queue on a lock file next to the
    database; a writer waits for the one before it, then goes on (no busy-handler sleeps)."""
    if engine.db.dialect.name != "sqlite":
        pytest.skip("PostgreSQL queues writers on its row locks")
    from bootstrap import build_engine

    started = start(engine)
    task = open_task(engine, started.case_id, "receive_application")
    other_process = build_engine(settings, clock)  # its own queue handle, as another process has
    done = threading.Event()
    try:
        with engine.handlers._transaction.writers():  # this process is writing
            worker = threading.Thread(
                target=lambda: (other_process.handle(cmd.CompleteTask(task.id, "clerk-2", RECEIVE)), done.set())
            )
            worker.start()
            assert not done.wait(0.3)  # the other process waits its turn
        worker.join(60)
        assert done.is_set()
    finally:
        other_process.dispose()
    assert engine.verify_case(started.case_id).ok


def test_a_writer_that_waits_too_long_gives_up_with_an_error(engine, transcript, settings, clock, monkeypatch):
    if engine.db.dialect.name != "sqlite":
        pytest.skip("PostgreSQL queues writers on its row locks")
    from sqlalchemy.exc import OperationalError

    from bootstrap import build_engine
    from engine.storage import db

    monkeypatch.setattr(db, "WRITER_QUEUE_TIMEOUT_SECONDS", 0.2)
    started = start(engine)
    other_process = build_engine(settings, clock)
    try:
        with engine.handlers._transaction.writers():
            with pytest.raises(OperationalError, match="write queue"):
                other_process.handle(cmd.CancelCase(started.case_id, "no longer needed", actor="clerk-2"))
    finally:
        other_process.dispose()
    assert len(events(engine, started.case_id)) == 1  # nothing was written


def _wait_until_a_session_waits_for_a_lock(db) -> bool:
    """PostgreSQL: True once a session of this database waits for a lock. Each look is its own
    transaction (pg_stat_activity keeps one snapshot per transaction)."""
    from sqlalchemy import text

    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(6000):
        with db.connect() as conn:
            if conn.execute(waiting).scalar():
                return True
        threading.Event().wait(0.01)
    return False


def test_the_first_two_cases_of_a_year_started_at_once_get_numbers_one_and_two(engine, transcript, settings, clock):
    """Two starts find no counter for the year; the second one's row waits for the first one's,
    then counts on it (PostgreSQL: SQLite's writers take turns and never meet here)."""
    if engine.db.dialect.name != "postgresql":
        pytest.skip("SQLite's writers take turns")
    from bootstrap import build_engine

    other_process = build_engine(settings, clock)
    paused, go_on = threading.Event(), threading.Event()
    engine.handlers.before_events_written = lambda _case: (paused.set(), go_on.wait(60))
    started, failed = {}, []

    def begin(name, case_engine) -> None:
        try:
            started[name] = case_engine.handle(cmd.StartCase("household_transcript", {}, actor=name)).number
        except Exception as error:  # reported by the assertion below, with its type
            failed.append(f"{name}: {type(error).__name__}: {error}")

    first = threading.Thread(target=begin, args=("first", engine))
    second = threading.Thread(target=begin, args=("second", other_process))
    try:
        first.start()
        assert paused.wait(60)  # the first start holds the year's new counter row, uncommitted
        second.start()
        assert _wait_until_a_session_waits_for_a_lock(engine.db)  # the second waits for that row
        go_on.set()
        first.join(60)
        second.join(60)
    finally:
        go_on.set()
        engine.handlers.before_events_written = None
        other_process.dispose()
    assert failed == []
    year = clock.now().astimezone(ZoneInfo(settings.timezone)).year
    assert sorted(started.values()) == [f"{year}-000001", f"{year}-000002"]


def test_a_read_sees_one_snapshot_while_a_command_commits_in_its_middle(engine, transcript):
    """A verification reads the case row, then its events: a completion committed between the
    two reads must not show in the second (on PostgreSQL's default isolation it would, and the
    case would look tampered with: its row naming an older last event than its log)."""
    started = start(engine)
    task = open_task(engine, started.case_id, "receive_application")
    with engine.read() as session:
        last_seq = session.get(Case, started.case_id).last_event_seq
        engine.handle(cmd.CompleteTask(task.id, "clerk-1", RECEIVE))  # committed by another connection
        seen = session.scalar(select(func.max(CaseEvent.seq)).where(CaseEvent.case_id == started.case_id))
    assert seen == last_seq
    assert len(events(engine, started.case_id)) > last_seq  # the completion is there for later reads
    assert engine.verify_case(started.case_id).ok
