"""Two app nodes behind a real HAProxy, one PostgreSQL, one Redis; one node SIGKILLed mid-burst.

Each node is a gunicorn of its own (master and worker, its own working folder: nothing shared
through local files) running the embedded scheduler; one of them holds the scheduler's lease.
Clients run case lifecycles through the balancer (start with an Idempotency-Key, complete the
first task, wait for the one-second timer, complete the second task), sending again whatever was
not answered (a connection cut, a 502 from the balancer). Once a third of the commands are
acknowledged, the node holding the scheduler lease is SIGKILLed: the balancer takes it out, the
other node takes the lease over once it has run out, and the burst goes on. Then

- every case started is there exactly once (a start sent again is answered with the same case),
- every acknowledged completion is in the event log, and no task was completed twice,
- every timer fired exactly once, every case closed and verifies (hash chain and replay),
- the surviving node holds the lease, and neither node wrote anything in its working folder.

Before the burst, failed sign-ins spread over both nodes by the balancer count once (in Redis).

Slow by nature (two servers and a balancer to start, then the burst): about 15 s on PostgreSQL.
"""

from __future__ import annotations

import os
import queue
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from engine.background import SCHEDULER_LEASE, lease_holder
from engine.storage import Case, CaseEvent
from tests.api.conftest import PASSWORD, PASSWORD_USER, HttpCaller, tokens  # noqa: F401 - fixture
from tests.api.server import ServedApp
from tests.timers.test_celery import redis_url  # noqa: F401 - fixture
from tests.timers.test_scheduler import wait_for

from .balancer import Balancer

pytestmark = pytest.mark.slow
RELAY = [Path(__file__).parent / "procedures" / "relay" / "relay.bpmn"]
LIFECYCLES = 24
CLIENTS = 6
COMMANDS = 3 * LIFECYCLES  # start, complete receive, complete hand_over


@dataclass
class Ledger:
    """What the clients saw: acknowledged commands, and those whose outcome they never learned."""

    started: dict[str, str] = field(default_factory=dict)  # idempotency key -> case id
    acknowledged: list[str] = field(default_factory=list)  # task ids completed with a 200
    already_done: list[str] = field(default_factory=list)  # 409 after an unanswered attempt
    unanswered: int = 0
    acks: int = 0
    acks_after_kill: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    enough: threading.Event = field(default_factory=threading.Event)
    killed: threading.Event = field(default_factory=threading.Event)

    def acked(self) -> None:
        with self.lock:
            self.acks += 1
            self.acks_after_kill += self.killed.is_set()
            if self.acks >= COMMANDS // 3:
                self.enough.set()


class Clerk:
    """One client thread's session through the balancer; sends a command again until a node
    answers it (a 5xx or a cut connection says nothing about whether it was done)."""

    def __init__(self, base_url: str, token: str, ledger: Ledger) -> None:
        self.base_url, self.ledger = base_url, ledger
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.sent_again = False

    def send(self, method: str, path: str, **kwargs) -> requests.Response:
        """The first answer a node gives; ``self.sent_again`` says whether it took more than one try."""
        for attempt in range(50):
            try:
                answer = self.session.request(method, self.base_url + path, timeout=30, **kwargs)
            except requests.RequestException:
                answer = None
            if answer is not None and answer.status_code < 500:
                self.sent_again = attempt > 0
                return answer
            with self.ledger.lock:
                self.ledger.unanswered += 1
        raise AssertionError(f"{method} {path}: no node answered")

    def complete(self, task_id: str) -> None:
        answer = self.send("POST", f"/api/tasks/{task_id}/complete", json={"data": {}})
        if answer.status_code == 200:
            self.ledger.acknowledged.append(task_id)
            self.ledger.acked()
            return
        # Only a completion sent again may find its task done: by its own earlier attempt.
        assert answer.status_code == 409 and self.sent_again, answer.text
        self.ledger.already_done.append(task_id)

    def open_task(self, case_id: str, element: str) -> str:
        for _ in range(600):  # a guard against hanging (a timer nobody fires), not a speed goal
            case = self.send("GET", f"/api/cases/{case_id}").json()
            tasks = [task["id"] for task in case["open_tasks"] if task["element_id"] == element]
            if tasks:
                return tasks[0]
            time.sleep(0.1)  # the timer has not fired yet: look again
        raise AssertionError(f"case {case_id}: {element} never opened")

    def lifecycle(self) -> None:
        key = uuid.uuid4().hex
        started = self.send("POST", "/api/cases", json={"procedure": "relay"}, headers={"Idempotency-Key": key})
        assert started.status_code in (200, 201), started.text
        case_id = started.json()["case_id"]
        self.ledger.started[key] = case_id
        self.ledger.acked()
        self.complete(self.open_task(case_id, "receive"))
        self.complete(self.open_task(case_id, "hand_over"))  # there once the timer fired


def node_of(pid: int, nodes: dict[str, ServedApp]) -> str:
    """The node a process belongs to (each gunicorn runs in a process group of its own)."""
    group = os.getpgid(pid)
    return next(name for name, node in nodes.items() if node.process.pid == group)


def scheduler_pid(engine) -> int | None:
    held = lease_holder(engine.db, SCHEDULER_LEASE)
    return int(held["holder"].split(":")[1]) if held else None


def test_two_nodes_behind_haproxy_one_sigkilled_mid_burst(database_url, engine, tokens, redis_url, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("several nodes share a database server: this test runs in the PostgreSQL pass of the suite")
    shared_documents = tmp_path / "shared-documents"  # the volume every node mounts
    settings = {
        "ONESTOP_LEASE_SECONDS": "2",
        "ONESTOP_BROKER_URL": redis_url,
        "ONESTOP_RATELIMIT_STORAGE": redis_url,  # sign-in throttles counted once for all nodes
        "ONESTOP_DOCUMENT_FOLDER": str(shared_documents),
        "ONESTOP_TRUSTED_PROXIES": "1",
        "ONESTOP_LOGIN_LIMITS_PER_USER": "2 per minute",
    }
    nodes: dict[str, ServedApp] = {}
    for name in ("a", "b"):
        (tmp_path / f"node-{name}").mkdir()
        nodes[name] = ServedApp(
            database_url,
            tmp_path,
            workers=1,
            threads=4,
            working_folder=tmp_path / f"node-{name}",
            env=settings,
            ready_path="/api/health/node",
        )
    balancer = Balancer(tmp_path, {name: node.port for name, node in nodes.items()})
    try:
        with ThreadPoolExecutor(len(nodes)) as starting:  # at once, as a deployment's machines boot
            list(starting.map(ServedApp.start, nodes.values()))  # a node that fails to start fails the test
        balancer.start()
        assert HttpCaller(balancer.base_url, tokens).deploy(paths=RELAY).status == 201
        # Failed sign-ins count once for both nodes (in Redis): round robin sends these to each in
        # turn, and the third, with the right password, is refused.
        sign_in = balancer.base_url + "/api/auth/token"
        wrong = {"username": PASSWORD_USER, "password": "wrong"}
        assert [requests.post(sign_in, json=wrong, timeout=30).status_code for _ in range(2)] == [401, 401]
        right = {"username": PASSWORD_USER, "password": PASSWORD}
        assert requests.post(sign_in, json=right, timeout=30).status_code == 429
        wait_for(lambda: scheduler_pid(engine) is not None, 30)
        leader = node_of(scheduler_pid(engine), nodes)
        survivor = "b" if leader == "a" else "a"

        ledger = Ledger()
        work: queue.Queue[int] = queue.Queue()
        for number in range(LIFECYCLES):
            work.put(number)
        failures: list[BaseException] = []

        def clerk() -> None:
            client = Clerk(balancer.base_url, tokens["clerk"], ledger)
            try:
                while True:
                    try:
                        work.get_nowait()
                    except queue.Empty:
                        return
                    client.lifecycle()
            except BaseException as error:  # noqa: BLE001 - reported by the test below
                failures.append(error)

        def killer() -> None:
            ledger.enough.wait(timeout=120)
            nodes[leader].kill()  # SIGKILL, master and worker: the lease is not given back
            ledger.killed.set()

        threads = [threading.Thread(target=clerk) for _ in range(CLIENTS)] + [threading.Thread(target=killer)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        assert not failures, failures
        assert ledger.killed.is_set() and ledger.acks_after_kill > 0, "the kill came after the burst"
        assert ledger.acks == COMMANDS - len(ledger.already_done)

        with engine.read() as session:
            cases = session.scalars(select(Case).where(Case.procedure_key == "relay")).all()
            completions = Counter(
                event.payload["task_id"]
                for event in session.scalars(select(CaseEvent).where(CaseEvent.type == "task_completed"))
            )
            firings = Counter(
                event.case_id for event in session.scalars(select(CaseEvent).where(CaseEvent.type == "timers_fired"))
            )
        assert sorted(case.id for case in cases) == sorted(ledger.started.values())  # no case twice
        assert len(cases) == LIFECYCLES and {case.status for case in cases} == {"completed"}
        assert all(completions[task_id] == 1 for task_id in ledger.acknowledged + ledger.already_done)
        assert sum(completions.values()) == 2 * LIFECYCLES  # no task completed twice
        assert firings == Counter({case.id: 1 for case in cases})  # each timer fired exactly once
        assert all(engine.verify_case(case.id).ok for case in cases)
        assert node_of(scheduler_pid(engine), nodes) == survivor
        health = requests.get(balancer.base_url + "/api/health", timeout=30).json()  # from this machine: details
        assert health["checks"]["scheduler"]["lease"]["holder"] == lease_holder(engine.db, SCHEDULER_LEASE)["holder"]
        assert nodes[leader].process.poll() is not None
        for name in nodes:  # nothing local: every node's state is in the database and the shared store
            assert list((tmp_path / f"node-{name}").iterdir()) == [], name
    finally:
        balancer.stop()
        for node in nodes.values():
            node.stop()
