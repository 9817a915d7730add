"""The embedded scheduler with the injectable clock: on time and not before, woken early by a
command, surviving a restart, one leader per machine, and an indexed search for due work."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from api import create_app
from bootstrap import build_engine
from engine import commands as cmd
from engine.background import EmbeddedScheduler, TimerRunner, due_case_ids
from tests.conftest import POSTGRES_URL
from tests.engine.helpers import RECEIVE, case_row, complete, events, open_task


def waiting_case(engine):
    """A transcript case whose issue step waits on its SLA timer (4 office hours)."""
    started = engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk-1"))
    complete(engine, started.case_id, "receive_application", RECEIVE)
    return started.case_id, case_row(engine, started.case_id).next_timer_at


def fired_count(engine, case_id: str) -> int:
    return sum(1 for event in events(engine, case_id) if event.type == "timers_fired")


def wait_for(condition, seconds: float = 60) -> float:
    """Seconds until ``condition()`` held, or fail after ``seconds`` (a test's guard against
    hanging, never a speed goal: the scheduler's delays are measured by bench/timers.py)."""
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        if condition():
            return time.monotonic() - began
        time.sleep(0.02)
    pytest.fail(f"not done within {seconds} s")


def test_a_timer_fires_at_its_due_time_and_not_before(engine, transcript, clock):
    case_id, due = waiting_case(engine)
    scheduler = EmbeddedScheduler(engine)
    clock.set(due - timedelta(seconds=1))
    assert scheduler.run_once()["fired"] == 0
    clock.set(due)  # SpiffWorkflow fires strictly after the due time
    assert scheduler.run_once()["fired"] == 0 and fired_count(engine, case_id) == 0
    clock.advance(milliseconds=1)
    assert scheduler.run_once()["fired"] == 1
    assert fired_count(engine, case_id) == 1 and open_task(engine, case_id, "review_delay")
    assert scheduler.run_once()["fired"] == 0  # nothing due any more


def asleep(scheduler) -> bool:
    """The thread has made a pass and sleeps until its next one."""
    return scheduler.last_pass_at is not None and scheduler._sleeping_until is not None


def test_the_thread_wakes_early_for_a_command(engine, transcript, clock, tmp_path):
    case_id, due = waiting_case(engine)
    # An hour's poll interval and no lease to renew: only the wake-up after a command can make it fire now.
    scheduler = EmbeddedScheduler(engine, poll_seconds=3600, lease_seconds=None).start()
    try:
        wait_for(lambda: asleep(scheduler))
        passes = scheduler.last_pass_at
        clock.set(due + timedelta(seconds=1))
        # A command that queues an agency call needs the scheduler now: it wakes up, performs
        # the call, and fires what else is due.
        started = engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk-1"))
        complete(engine, started.case_id, "receive_application", RECEIVE, run_jobs=False)
        wait_for(lambda: fired_count(engine, case_id) == 1)
        # A pass of its own, an hour before its time (stamped once the pass's work is done).
        wait_for(lambda: scheduler.last_pass_at != passes)
        wait_for(lambda: case_row(engine, started.case_id).last_event_seq > 2)  # the agency answered
        assert scheduler.health()["status"] == "ok" and scheduler.health()["role"] == "leader"
    finally:
        scheduler.stop()


def test_a_command_whose_timers_are_later_than_the_next_wake_up_does_not_wake_the_thread(
    engine, transcript, clock, tmp_path
):
    case_id, _due = waiting_case(engine)
    scheduler = EmbeddedScheduler(engine, poll_seconds=3600, lease_seconds=None).start()
    try:
        wait_for(lambda: asleep(scheduler))
        wake_ups = []
        wake = scheduler._wake.set
        scheduler._wake.set = lambda: (wake_ups.append(True), wake())[-1]  # what the listener decides
        changed = complete(engine, case_id, "issue_transcript", {"fee_paid": 15}, run_jobs=False)
        assert changed.wake_at == clock.now() + timedelta(days=7)  # the rating window
        assert wake_ups == []  # the listener ran in this thread, within the command: no wake-up
    finally:
        scheduler.stop()


def test_the_thread_fires_a_due_timer_by_itself(engine, transcript, clock, tmp_path):
    case_id, due = waiting_case(engine)
    scheduler = EmbeddedScheduler(engine, poll_seconds=0.5).start()
    try:
        wait_for(lambda: scheduler.last_pass_at is not None)
        clock.set(due + timedelta(milliseconds=1))  # no command: only its own next pass finds it
        wait_for(lambda: fired_count(engine, case_id) == 1)
    finally:
        scheduler.stop()


def test_a_restart_between_scheduling_and_due_time_loses_no_timer(settings, clock, transcript, engine):
    case_id, due = waiting_case(engine)
    engine.dispose()  # the server goes down before the timer is due ...
    clock.set(due + timedelta(hours=3))  # ... and comes back long after it
    restarted = build_engine(settings, clock)
    try:
        assert EmbeddedScheduler(restarted).run_once()["fired"] == 1
        assert fired_count(restarted, case_id) == 1 and open_task(restarted, case_id, "review_delay")
        assert case_row(restarted, case_id).overdue_at == due
    finally:
        restarted.dispose()


def test_only_one_process_schedules_and_another_takes_over(engine, tmp_path):
    first = EmbeddedScheduler(engine, poll_seconds=0.05).start()
    second = EmbeddedScheduler(engine, poll_seconds=0.05).start()
    try:
        wait_for(lambda: first.leader or second.leader)
        time.sleep(0.2)
        assert [first.leader, second.leader].count(True) == 1
        leader, standby = (first, second) if first.leader else (second, first)
        assert standby.health()["role"] == "standby"
        leader.stop()
        wait_for(lambda: standby.leader)
    finally:
        first.stop()
        second.stop()


def test_racing_runners_fire_each_timer_once(engine, transcript, clock):
    import threading

    ids = [waiting_case(engine)[0] for _ in range(6)]
    clock.advance(days=1)
    runners = [TimerRunner(engine) for _ in range(4)]
    results = []
    threads = [threading.Thread(target=lambda r=r: results.append(sum(r.fire(i) for i in ids))) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == len(ids)
    assert [fired_count(engine, case_id) for case_id in ids] == [1] * len(ids)


def test_finding_due_cases_is_an_index_range_scan(engine):
    with engine.db.connect() as conn:
        if POSTGRES_URL:
            conn.execute(text("SET enable_seqscan = off"))  # tiny tables: ask whether the index serves
            plan = " ".join(
                row[0]
                for row in conn.execute(
                    text("EXPLAIN SELECT id FROM cases WHERE next_timer_at < now() ORDER BY next_timer_at LIMIT 200")
                )
            )
        else:
            plan = " ".join(
                str(row[-1])
                for row in conn.execute(
                    text(
                        "EXPLAIN QUERY PLAN SELECT id FROM cases WHERE next_timer_at < '2026-01-01' "
                        "ORDER BY next_timer_at LIMIT 200"
                    )
                )
            )
        assert "ix_cases_next_timer_at" in plan, plan
        assert due_case_ids(conn, engine.clock.now(), 10) == []


def test_the_app_runs_the_embedded_scheduler_and_reports_its_health(settings, engine, transcript, clock, tmp_path):
    app = create_app(
        settings.with_overrides(scheduler="embedded", scheduler_poll_seconds=0.2),
        engine=engine,
    )
    scheduler = app.extensions["onestop_scheduler"]
    try:
        case_id, due = waiting_case(engine)
        clock.set(due + timedelta(seconds=1))
        wait_for(lambda: fired_count(engine, case_id) == 1)
        wait_for(lambda: scheduler.health().get("role") == "leader")
        health = app.test_client().get("/api/health").json
        assert health["checks"]["scheduler"]["status"] == "ok"
        assert health["checks"]["broker"]["status"] == "not_configured"
        scheduler.stop()
        assert app.test_client().get("/api/health").json["checks"]["scheduler"]["status"] == "down"
    finally:
        scheduler.stop()


def test_tests_and_the_off_setting_start_no_scheduler(settings, engine):
    app = create_app(settings, engine=engine)
    assert "onestop_scheduler" not in app.extensions
    assert engine.health_checks["scheduler"]()["status"] == "not_configured"
