"""Crash safety over real HTTP: SIGKILL the whole server (master and workers) in the middle of a
burst of task completions, start it again on the same database, and check that

- every completion the client saw acknowledged (200) is in the event log exactly once,
- no task was completed twice (not even one whose answer was lost in the crash),
- every case verifies (hash chain and replay),
- and the completions whose outcome the client never learned can be retried safely.

Slow by nature (two server starts and a burst): about 10 s.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter

import pytest
import requests
from sqlalchemy import select

from engine.storage import CaseEvent, Task
from tests.engine.helpers import RECEIVE

from .conftest import HttpCaller

CASES = 60
CLIENT_THREADS = 8


def start_cases(http: HttpCaller, count: int) -> dict[str, str]:
    """task id -> case id, for ``count`` new cases each waiting at receive_application."""
    tasks = {}
    for _ in range(count):
        started = http("POST", "/api/cases", user="clerk", json={"procedure": "household_transcript"})
        assert started.status == 201, started
        [task] = started.json["open_tasks"]
        tasks[task["id"]] = started.json["case_id"]
    return tasks


def burst_until_killed(served, token: str, task_ids: list[str], kill_after_acks: int):
    """Complete the tasks from several client threads; SIGKILL the server once ``kill_after_acks``
    completions were acknowledged. Returns (acknowledged, unknown outcome, never sent)."""
    work: queue.Queue[str] = queue.Queue()
    for task_id in task_ids:
        work.put(task_id)
    acked, unknown, lock = [], [], threading.Lock()
    enough, killed = threading.Event(), threading.Event()

    def clerk() -> None:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {token}"
            while not killed.is_set():
                try:
                    task_id = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    answer = session.post(
                        f"{served.base_url}/api/tasks/{task_id}/complete", json={"data": RECEIVE}, timeout=30
                    )
                except requests.RequestException:
                    with lock:
                        unknown.append(task_id)
                    continue
                with lock:
                    if answer.status_code == 200:
                        acked.append(task_id)
                        if len(acked) >= kill_after_acks:
                            enough.set()
                    else:  # a 5xx, or the server dying mid-answer: the client does not know
                        unknown.append(task_id)

    def killer() -> None:
        enough.wait(timeout=60)
        served.kill()
        killed.set()

    threads = [threading.Thread(target=clerk) for _ in range(CLIENT_THREADS)] + [threading.Thread(target=killer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    never_sent = []
    while not work.empty():
        never_sent.append(work.get_nowait())
    return acked, unknown, never_sent


@pytest.mark.slow
def test_sigkill_during_a_burst_of_completions_loses_and_duplicates_nothing(serve, engine, transcript, tokens):
    served = serve()
    http = HttpCaller(served.base_url, tokens)
    tasks = start_cases(http, CASES)

    acked, unknown, never_sent = burst_until_killed(served, tokens["clerk"], list(tasks), kill_after_acks=CASES // 3)
    # The kill came in the middle of the burst: some completions were acknowledged, some never sent.
    assert len(acked) >= CASES // 3 and never_sent, (len(acked), len(unknown), len(never_sent))
    assert len(acked) + len(unknown) + len(never_sent) == CASES

    served.start()  # the same database, a new server
    http = HttpCaller(served.base_url, tokens)

    def completions() -> Counter:
        with engine.read() as session:
            return Counter(
                payload["task_id"]
                for payload in session.scalars(select(CaseEvent.payload).where(CaseEvent.type == "task_completed"))
            )

    completed = completions()
    assert all(completed[task_id] == 1 for task_id in acked), "an acknowledged completion was lost"
    assert max(completed.values()) == 1, "a task was completed twice"
    with engine.read() as session:
        statuses = dict(session.execute(select(Task.id, Task.status).where(Task.id.in_(list(tasks)))).all())
    assert all(statuses[task_id] == "completed" for task_id in acked)
    assert all(statuses[task_id] == "ready" for task_id in never_sent)

    # The client retries what it does not know about: each is completed now, or was already (409).
    for task_id in unknown + never_sent:
        retried = http("POST", f"/api/tasks/{task_id}/complete", user="clerk", json={"data": RECEIVE})
        expected = 409 if completed[task_id] else 200
        assert retried.status == expected, (task_id, retried)
    assert completions() == Counter({task_id: 1 for task_id in tasks})

    for case_id in set(tasks.values()):
        verified = http("GET", f"/api/cases/{case_id}/verify", user="auditor")
        assert verified.status == 200 and verified.json["ok"] is True, verified.json
