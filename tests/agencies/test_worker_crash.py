"""A worker process SIGKILLed in the middle of an agency call loses nothing: its lease expires,
another worker takes the job, the agency recognises the retried call by its idempotency key,
and the answer is recorded once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from engine.storage import ServiceJob

from ..engine.helpers import RECEIVE, complete, events, open_task, open_tasks, start

ROOT = Path(__file__).resolve().parents[2]
WORKER = """
import sys
from bootstrap import build_engine
from config import Settings
from workflows.agencies import AgencySettings

database_url, agency_url = sys.argv[1:3]
engine = build_engine(Settings(environment="test", database_url=database_url,
                               agencies=AgencySettings.all_at(agency_url, timeout_seconds=30)))
print(engine.run_due_jobs(), flush=True)
"""


def job_of(engine, case_id: str) -> ServiceJob:
    with engine.read() as session:
        return session.scalars(select(ServiceJob).where(ServiceJob.case_id == case_id)).one()


def wait_for(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_worker_killed_mid_call_loses_nothing_and_the_answer_is_recorded_once(
    engine, database_url, transcript, agencies, clock
):
    started = start(engine)
    complete(engine, started.case_id, "receive_application", RECEIVE, run_jobs=False)
    agencies.fault(mode="hang", hang_seconds=20, times=1)  # the agency takes the query, then is slow

    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, database_url, agencies.url],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: agencies.stats()["requests"] == 1 or worker.poll() is not None)
        assert worker.poll() is None, worker.stdout.read().decode()
        claimed = job_of(engine, started.case_id)
        assert (claimed.status, claimed.attempts) == ("running", 1)
        os.kill(worker.pid, signal.SIGKILL)  # mid-call: no cleanup code runs
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.stdout.close()

    assert open_tasks(engine, started.case_id) == []  # still waiting, nothing half-written
    assert [e.type for e in events(engine, started.case_id)] == ["case_started", "task_completed"]
    assert engine.run_due_jobs() == {}  # the dead worker's lease still holds the job
    clock.set(claimed.next_attempt_at + timedelta(seconds=1))  # the lease has run out
    assert engine.run_due_jobs() == {"answered": 1}

    assert open_task(engine, started.case_id, "issue_transcript")
    recorded = [e for e in events(engine, started.case_id) if e.type == "service_result_recorded"]
    assert len(recorded) == 1 and recorded[0].payload["result"]["match"] is True
    assert job_of(engine, started.case_id).attempts == 2
    # The killed call reached the agency and was logged there; the retry was recognised.
    assert agencies.stats() == {"requests": 2, "queries": 1}
    assert engine.verify_case(started.case_id).ok
