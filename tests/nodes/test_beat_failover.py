"""Celery beat's loss is harmless: two beats run (as on two machines), one sends under the lease,
and when it is SIGKILLed the standby takes over once the lease has run out; a timer that falls
due after the kill is fired, exactly once. Real processes: Redis, a Celery worker, two beats.

The cases are the relay test procedure's: one timer each (one second after the first task), so
"fired once" counts that timer alone (a household transcript received a month ago has two: the
breach found at the SLA due date, and its step's boundary timer once the agency has answered)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bootstrap import shared_scheduler_check
from engine import commands as cmd
from engine import files_from_folder
from engine.background import BEAT_LEASE, lease_holder
from tests.engine.helpers import complete, open_task
from tests.timers.test_celery import (  # noqa: F401 - fixtures
    ROOT,
    broker,
    client,
    fired,
    redis_url,
    wait_ready,
    workers,
)
from tests.timers.test_scheduler import wait_for

pytestmark = pytest.mark.slow
RELAY = Path(__file__).parent / "procedures" / "relay"
LEASE_SECONDS = "1.5"  # short, so that the takeover comes soon; the test waits on it, not on time


@pytest.fixture
def beats(database_url, redis_url, broker, tmp_path):
    started: list[subprocess.Popen] = []
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ONESTOP_ENV": "test",
        "ONESTOP_DATABASE_URL": database_url,
        "ONESTOP_BROKER_URL": redis_url,
        "ONESTOP_LEASE_SECONDS": LEASE_SECONDS,
    }

    def start(name: str) -> subprocess.Popen:
        folder = tmp_path / name  # a working folder of its own: nothing shared through files
        folder.mkdir()
        log = open(tmp_path / f"{name}.log", "w")
        command = [sys.executable, "-m", "celery", "-A", "workers.celery_app", "beat", "--loglevel=INFO"]
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def relay_case(engine, clock) -> str:
    """A relay case whose timer falls due a second from now, by the real clock the workers use."""
    clock.set(datetime.now(timezone.utc))
    started = engine.handle(cmd.StartCase("relay", {}, actor="clerk"))
    complete(engine, started.case_id, "receive", {}, run_jobs=False)
    return started.case_id


def holder_pid(engine) -> int | None:
    held = lease_holder(engine.db, BEAT_LEASE)
    return int(held["holder"].split(":")[1]) if held else None


def test_killing_the_active_beat_lets_the_standby_send_and_timers_still_fire_once(
    engine,
    clock,
    workers,
    client,
    beats,
    tmp_path,
):
    engine.handle(cmd.DeployDefinition(files_from_folder(RELAY), actor="designer"))
    workers("w1")
    wait_ready(client, ["w1"])
    first, second = beats("beat-a"), beats("beat-b")
    by_pid = {first.pid: first, second.pid: second}
    wait_for(lambda: holder_pid(engine) in by_pid, 60)
    before = relay_case(engine, clock)
    wait_for(lambda: fired(engine, before) == 1, 60)  # the active beat's ticks reach the worker

    active = by_pid[holder_pid(engine)]
    standby = second if active is first else first
    active.kill()  # SIGKILL: its lease is not released, it runs out
    active.wait(10)
    after = relay_case(engine, clock)  # due in a second, with only the standby left to send the tick
    wait_for(lambda: fired(engine, after) == 1, 60)
    assert holder_pid(engine) == standby.pid
    lease = shared_scheduler_check(engine, "celery", 30)()["lease"]  # as /api/health names it
    assert lease["name"] == BEAT_LEASE and f":{standby.pid}:" in lease["holder"]
    assert [fired(engine, case_id) for case_id in (before, after)] == [1, 1]
    assert all(open_task(engine, case_id, "hand_over") for case_id in (before, after))
    assert engine.verify_case(after).ok
    assert not list(tmp_path.glob("beat-*/celerybeat-schedule*"))  # no schedule file: nothing local
