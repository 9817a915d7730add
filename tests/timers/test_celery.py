"""Distributed mode for real: a Redis server, Celery worker processes, and the test database.

The workers run ``workers.celery_app`` in their own processes with the system clock, so the
cases here are received a month ago (by the test's manual clock) and their timers are due now.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import redis
from celery import Celery
from sqlalchemy import text

from bootstrap import redis_check, shared_scheduler_check
from engine import commands as cmd
from tests.engine.helpers import RECEIVE, case_row, complete, events
from workers.celery_app import ROUTING

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (scripts/test.sh installs it from Debian packages)")
        pytest.skip("redis-server is not installed: run scripts/test.sh, or apt-get install redis-server")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    client.close()
    server.terminate()
    server.wait(10)


@pytest.fixture
def broker(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def workers(database_url, redis_url, broker, tmp_path):
    """Start named worker processes on demand; all are stopped after the test."""
    started: dict[str, subprocess.Popen] = {}
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ONESTOP_ENV": "test",
        "ONESTOP_DATABASE_URL": database_url,
        "ONESTOP_BROKER_URL": redis_url,
        "ONESTOP_VISIBILITY_TIMEOUT": "3",
    }

    def start(name: str) -> subprocess.Popen:
        log = open(tmp_path / f"{name}.log", "w")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers.celery_app",
                "worker",
                "--pool=solo",
                "-n",
                f"{name}@%h",
                "--without-mingle",
                "--without-gossip",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started[name] = process
        return process

    yield start
    for process in started.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started.values():
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def client(redis_url):
    app = Celery("onestop-test", broker=redis_url, backend=redis_url)
    app.conf.update(**ROUTING)  # the tasks' queues, as the workers' app routes them
    yield app
    app.close()


def wait_ready(client, names: list[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        replies = client.control.ping(timeout=1.0) or []
        answered = {name.split("@")[0] for reply in replies for name in reply}
        if set(names) <= answered:
            return
    pytest.fail(f"workers {names} did not start")


def overdue_case(engine, clock) -> str:
    """A transcript case whose SLA timer fell due weeks ago (by the real clock)."""
    clock.set(datetime.now(timezone.utc) - timedelta(days=30))
    started = engine.handle(
        cmd.StartCase(
            "household_transcript", {}, actor="clerk-1", applicant={"name": "王小明", "email": "ming@example.tw"}
        )
    )
    complete(engine, started.case_id, "receive_application", RECEIVE)
    assert case_row(engine, started.case_id).next_timer_at < datetime.now(timezone.utc)
    return started.case_id


def fired(engine, case_id: str) -> int:
    return sum(1 for event in events(engine, case_id) if event.type == "timers_fired")


def test_two_workers_one_timer_exactly_one_firing(engine, transcript, clock, workers, client):
    case_id = overdue_case(engine, clock)
    workers("w1"), workers("w2")
    wait_ready(client, ["w1", "w2"])
    # Many messages for the same case at once (duplicates, redeliveries, racing dispatchers):
    results = [client.send_task("onestop.fire_case", args=[case_id]) for _ in range(8)]
    answers = [result.get(timeout=60) for result in results]
    assert answers.count(True) == 1
    assert fired(engine, case_id) == 1
    assert case_row(engine, case_id).overdue_at is not None
    assert engine.verify_case(case_id).ok


def test_dispatch_finds_due_cases_and_workers_fire_and_notify(
    engine, transcript, clock, workers, client, broker, redis_url
):
    cases = [overdue_case(engine, clock) for _ in range(3)]
    workers("w1"), workers("w2")
    wait_ready(client, ["w1", "w2"])
    for _ in range(3):  # beat ticks, possibly faster than the workers
        client.send_task("onestop.dispatch_due_timers")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(fired(engine, case_id) == 0 for case_id in cases):
        time.sleep(0.2)
    time.sleep(1)  # let any duplicate run to its end
    assert [fired(engine, case_id) for case_id in cases] == [1, 1, 1]
    clock.set(datetime.now(timezone.utc))
    scheduler = shared_scheduler_check(engine, "celery", 30)()  # the dispatcher's heartbeat, in the database
    assert scheduler["status"] == "ok" and scheduler["mode"] == "celery", scheduler
    assert redis_check(redis_url)() == {"status": "ok"}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with engine.read() as session:
            statuses = [row[0] for row in session.execute(text("SELECT status FROM notifications"))]
        if statuses and set(statuses) == {"sent"}:
            break
        time.sleep(0.2)
    assert sorted(statuses) == ["sent"] * 6  # applicant email + supervisor email, per case


def test_a_worker_killed_in_the_middle_of_a_firing_loses_nothing_and_fires_once(
    engine, transcript, clock, workers, client, broker, database_url
):
    case_id = overdue_case(engine, clock)
    first = workers("w1")
    wait_ready(client, ["w1"])
    # Hold the case so the worker blocks inside its FireDueTimers transaction.
    blocker = engine.db.connect()
    transaction = blocker.begin()
    if database_url.startswith("sqlite"):
        blocker.exec_driver_sql("SELECT 1")  # the engine's SQLite transactions take the write lock
    else:
        blocker.execute(text("SELECT id FROM cases WHERE id = :id FOR UPDATE"), {"id": case_id})
    try:
        client.send_task("onestop.fire_case", args=[case_id])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not broker.hlen("unacked"):
            time.sleep(0.05)
        assert broker.hlen("unacked") == 1  # taken, not acknowledged: the worker is in the middle of it
        time.sleep(0.5)
        first.kill()  # SIGKILL: no clean-up of any kind
        first.wait(10)
    finally:
        transaction.rollback()
        blocker.close()
    assert fired(engine, case_id) == 0  # the killed transaction left nothing behind
    workers("w2")
    wait_ready(client, ["w2"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and fired(engine, case_id) == 0:
        client.send_task("onestop.dispatch_due_timers")  # beat's tick: the case is still due
        time.sleep(1)
    time.sleep(1)
    assert fired(engine, case_id) == 1
    assert engine.verify_case(case_id).ok
