"""Distributed mode: a real Celery worker (Redis broker) performs the agency call of a waiting
service task, dispatched the way beat does it, and records the answer."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from ..engine.helpers import RECEIVE, complete, events, open_tasks, start
from ..timers.test_celery import broker, client, redis_url, wait_ready, workers  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


@pytest.fixture
def agency_env(monkeypatch, agencies):
    """The worker processes find the simulator through the environment, as a deployment would."""
    monkeypatch.setenv("ONESTOP_AGENCY_URL", agencies.url)
    monkeypatch.setenv("ONESTOP_AGENCY_TIMEOUT", "5")


def test_a_celery_worker_performs_the_agency_call(agency_env, engine, transcript, agencies, clock, workers, client):
    clock.set(datetime.now(timezone.utc) - timedelta(minutes=1))  # the workers run on the real clock
    started = start(engine)
    complete(engine, started.case_id, "receive_application", RECEIVE, run_jobs=False)
    workers("w1")
    wait_ready(client, ["w1"])
    client.send_task("onestop.dispatch_service_jobs")  # what beat sends every poll interval

    deadline = time.monotonic() + 60
    while not open_tasks(engine, started.case_id):
        assert time.monotonic() < deadline, "the worker did not record the agency's answer"
        time.sleep(0.1)
    [task] = open_tasks(engine, started.case_id)
    assert task.element_id == "issue_transcript"
    answers = [e for e in events(engine, started.case_id) if e.type == "service_result_recorded"]
    assert len(answers) == 1 and answers[0].actor == "worker" and answers[0].payload["result"]["match"] is True
    assert agencies.stats() == {"requests": 1, "queries": 1}
    assert engine.verify_case(started.case_id).ok
