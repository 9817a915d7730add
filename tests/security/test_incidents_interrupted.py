"""A firing stuck in one C call of a script cannot be stopped by the sandbox: its process is
killed from outside (a worker timeout). The next scheduler must not run the same work again —
a restart would bring the failure back, and kill the next worker too — but record an incident."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import select

from engine import commands as cmd
from engine.background import TimerRunner
from engine.storage import Notification, incidents
from tests.conftest import (
    ROOT,
    transcript,  # noqa: F401  (fixture)
)
from tests.engine.helpers import case_row, events

from . import hostile
from .conftest import after_the_timer, incidents_of

APPLICANT = {"name": "王小明", "email": "ming@example.tw", "phone": "0912345678"}


def _firing_started(engine, case_id: str) -> bool:
    with engine.read() as session:
        row = session.execute(
            select(incidents.FIRING_ATTEMPTS.c.case_id).where(incidents.FIRING_ATTEMPTS.c.case_id == case_id)
        ).first()
    return row is not None


def _stuck_firing(engine, clock, case_id: str) -> None:
    """Fire the case in a process of its own, wait until its firing has begun (its mark is
    committed) and the process is busy in the script, then kill it as a worker timeout would."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.security.firing_process",
            engine.db.url.render_as_string(False),
            clock.now().isoformat(),
            case_id,
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        for _ in range(1200):  # a guard against a test that never ends, not a speed goal
            if _firing_started(engine, case_id) or process.poll() is not None:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the firing ended by itself: the probe no longer gets stuck"
        assert _firing_started(engine, case_id)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)


def test_a_firing_killed_in_the_middle_becomes_an_incident_and_is_not_run_again(engine, clock, deploy, start_case):
    key, files = hostile.procedure("uninterruptible", "script")
    deploy(files)
    control_key, control_files = hostile.procedure("huge_power", "script")
    deploy(control_files)
    stuck = start_case(key).case_id
    control = start_case(control_key, {**hostile.CASE_DATA, "n": 2}).case_id
    after_the_timer(clock)
    _stuck_firing(engine, clock, stuck)
    runner = TimerRunner(engine)

    # Just after the kill, the firing may still be under way somewhere: nobody runs it twice.
    assert runner.fire(stuck) is False
    assert incidents_of(engine, stuck) == [] and "timers_fired" not in [e.type for e in events(engine, stuck)]

    # Later, the firing that never ended is an incident (and the stuck script did not run again:
    # this test would hang if it did); the case's timers are held; the other case fires.
    clock.advance(minutes=6)
    assert runner.fire(stuck) is False
    [incident] = incidents_of(engine, stuck)
    assert (incident.kind, incident.trigger, incident.status) == ("interrupted", "timer", "open")
    assert "never ended" in incident.message
    assert case_row(engine, stuck).timer_incident_id == incident.id
    assert [e.type for e in events(engine, stuck)] == ["case_started", "incident_raised"]
    assert not _firing_started(engine, stuck)
    assert runner.fire(control) is True
    assert runner.due(10) == []  # the held case is not due again


def test_a_firing_that_ended_leaves_no_mark_behind(engine, clock, deploy, start_case):
    key, files = hostile.procedure("huge_power", "script")
    deploy(files)
    case_id = start_case(key, {**hostile.CASE_DATA, "n": 2}).case_id
    after_the_timer(clock)
    assert TimerRunner(engine).fire(case_id) is True
    assert not _firing_started(engine, case_id)
    assert [i.kind for i in incidents_of(engine, case_id)] == []


def test_a_case_held_by_an_incident_still_has_its_breach_found_and_told(engine, transcript, clock):
    """The incident holds the case's timers, not its SLA clock: at the due date the scheduler
    still records the breach once and queues the notices."""
    case_id = engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk-1", applicant=APPLICANT)).case_id
    with engine.db.begin() as conn:  # what a firing process killed in the middle leaves behind
        incidents.start_firing(conn, case_id, case_row(engine, case_id).version, clock.now())
    clock.advance(minutes=6)
    runner = TimerRunner(engine)
    runner.fire(case_id)
    [incident] = incidents_of(engine, case_id)
    assert incident.kind == "interrupted" and case_row(engine, case_id).timer_incident_id == incident.id
    assert "case_overdue" not in [e.type for e in events(engine, case_id)]

    clock.set(case_row(engine, case_id).due_at + timedelta(seconds=1))
    assert runner.due(10) == [case_id]
    runner.fire(case_id)
    runner.fire(case_id)
    assert [e.type for e in events(engine, case_id)].count("case_overdue") == 1
    with engine.read() as session:
        told = session.scalars(
            select(Notification.audience).where(Notification.case_id == case_id, Notification.kind == "sla_breach")
        ).all()
    assert "applicant" in told and "supervisor" in told
    assert case_row(engine, case_id).timer_incident_id == incident.id  # still held
