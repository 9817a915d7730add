"""Timer benchmark: 100,000 cases waiting on SLA timers, 1,000 of which fall due, fired by the
embedded scheduler (or, ``--mode celery``, by Celery workers and beat) with the system clock.

    .venv/bin/python -m bench.timers [--waiting 100000] [--due 1000] [--database-url URL]
    .venv/bin/python -m bench.timers --mode celery [--broker-url redis://...]

Celery mode runs the deployment's processes (workers/celery_app.py): one beat, a timer worker on
the ``timers`` queue (2 processes) and a worker on the ``agencies`` and ``outbox`` queues (2 processes), on a
Redis of its own (started here unless ``--broker-url`` names one). While the timers fall due,
the default worker is kept busy by agency calls that each take 5 s (cases of the household
transcript procedure, the agency simulator holding every answer): slow agencies must not delay
a timer, because timers have their own queue and workers.

Seeding shortcut (documented, as the issue allows): one case is started through the real
StartCase command; the others are copies of its row (new id and number, its serialized state
with the SLA due time and the task ids replaced by the copy's own), inserted in bulk. Copies have no
``case_started`` event and no inbox row for their open step, so ``verify`` does not hold for
them; the scheduler does not care: it finds them by ``cases.next_timer_at`` and fires them
through the real FireDueTimers command (lock, load, refresh timers, save, events, inbox).

Scenarios, on the same 100,000 cases:
- spread: 1,000 timers fall due over 10 seconds (100 a second) while the scheduler runs;
  ``p99_delay_s`` is the 99th percentile of (fired - due) over them.
- burst: 1,000 timers fall due at the same instant (e.g. a server back after downtime);
  ``fire_all_s`` is the time from that instant until the last of them fired.
- idle: one scheduler pass (search for due cases, delivery of the outbox, next due time) when
  nothing is due, with 100 and with 100,000 waiting cases; ``idle_cost_ratio`` = big / small.

The last line printed is a JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, select

from bootstrap import build_engine
from config import Settings
from engine import CaseEngine, ManualClock, ProcedureCatalogue, files_from_folder
from engine import commands as cmd
from engine.background import EmbeddedScheduler
from engine.storage import Case, CaseEvent, upgrade
from workflows.agencies.simulator.server import SimulatorServer

ROOT = Path(__file__).resolve().parent.parent
PROCEDURE = Path(__file__).parent / "procedures" / "bench_sla"
SLOW_AGENCY_SECONDS = 5.0
FAR = datetime(2099, 1, 1, tzinfo=timezone.utc)
CASES = Case.__table__


class FarCatalogue(ProcedureCatalogue):
    """Every case is due in 2099: the template's due time, replaced in each copy."""

    def due_at(self, procedure_key, received_at, extension=0.0, known_at=None):
        return FAR


def seed(url: str, waiting: int, due_times: list[datetime]) -> dict:
    """``waiting`` cases, the last ``len(due_times)`` of them due at those times, the rest in 2099."""
    clock = ManualClock(datetime.now(timezone.utc) - timedelta(days=1))
    engine = build_engine(Settings(environment="test", database_url=url), clock=clock, catalogue=FarCatalogue())
    engine.handle(cmd.DeployDefinition(files_from_folder(PROCEDURE), actor="bench"))
    template_id = engine.handle(cmd.StartCase("bench_sla", {}, actor="bench")).case_id
    with engine.db.connect() as conn:
        template = dict(conn.execute(select(CASES).where(CASES.c.id == template_id)).one()._mapping)
    far_text = FAR.isoformat()
    template_uuid = uuid.UUID(template_id)
    assert far_text in template["state"] and template["next_timer_at"] == FAR
    began = time.perf_counter()
    batch: list[dict] = []
    with engine.db.begin() as conn:
        for index in range(1, waiting):
            due_index = index - (waiting - len(due_times))
            due = due_times[due_index] if due_index >= 0 else FAR
            case_id = str(uuid.uuid4())
            state = template["state"].replace(far_text, due.isoformat())
            # Task ids are uuid5(case id, n): give the copy the ids its own start would have made.
            for n in range(template["task_id_counter"]):
                state = state.replace(
                    str(uuid.uuid5(template_uuid, str(n))), str(uuid.uuid5(uuid.UUID(case_id), str(n)))
                )
            batch.append(
                dict(
                    template,
                    id=case_id,
                    number=f"B-{index:07d}",
                    idempotency_key=None,
                    state=state,
                    next_timer_at=due,
                    due_at=due,
                )
            )
            if len(batch) == 5000:
                conn.execute(insert(CASES), batch)
                batch = []
        if batch:
            conn.execute(insert(CASES), batch)
    seconds = time.perf_counter() - began
    state_kb = len(template["state"]) / 1024
    engine.dispose()
    return {"seed_s": round(seconds, 1), "state_kb": round(state_kb, 1)}


def idle_pass_seconds(url: str, passes: int = 300) -> float:
    engine = build_engine(Settings(environment="test", database_url=url))
    scheduler = EmbeddedScheduler(engine)
    timings = []
    for _ in range(passes):
        began = time.perf_counter()
        result = scheduler.run_once()
        scheduler.seconds_until_next()
        timings.append(time.perf_counter() - began)
        assert result["fired"] == 0
    engine.dispose()
    return statistics.median(timings)


def fired_times(engine: CaseEngine) -> dict[str, tuple[datetime, datetime]]:
    """case id -> (due, fired) for every case fired so far."""
    with engine.read() as session:
        rows = session.execute(
            select(CaseEvent.case_id, CaseEvent.occurred_at, Case.due_at)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(CaseEvent.type == "timers_fired")
        ).all()
    return {case_id: (due, fired) for case_id, fired, due in rows}


def wait_until_fired(engine: CaseEngine, count: int, deadline: float) -> None:
    while time.monotonic() < deadline and len(fired_times(engine)) < count:
        time.sleep(0.5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CeleryDeployment:
    """Redis, the agency simulator, beat, a timer worker and a default worker, as processes."""

    def __init__(self, url: str, broker_url: str | None, folder: Path) -> None:
        self.url, self.broker_url, self.folder = url, broker_url, folder
        self.processes: list[subprocess.Popen] = []
        self.simulator = SimulatorServer().start()

    def __enter__(self) -> CeleryDeployment:
        if self.broker_url is None:
            port = free_port()
            self._start(
                ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(self.folder)]
            )
            self.broker_url = f"redis://127.0.0.1:{port}/0"
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "ONESTOP_ENV": "test",
            "ONESTOP_DATABASE_URL": self.url,
            "ONESTOP_BROKER_URL": self.broker_url,
            "ONESTOP_AGENCY_URL": self.simulator.url,
            "ONESTOP_AGENCY_TIMEOUT": str(SLOW_AGENCY_SECONDS * 2),
        }
        celery = [sys.executable, "-m", "celery", "-A", "workers.celery_app"]
        quiet = ["--without-mingle", "--without-gossip", "--loglevel", "WARNING"]
        # Timers on workers of their own; the slow agency calls (and the outbox) on the others.
        for name, queues in (("timers", "timers"), ("default", "agencies,outbox")):
            self._start([*celery, "worker", "-Q", queues, "--concurrency", "2", "-n", f"{name}@%h", *quiet], env)
        self._start(
            [*celery, "beat", "--schedule", str(self.folder / "celerybeat-schedule"), "--loglevel", "WARNING"], env
        )
        self._wait_ready({"timers", "default"})
        return self

    def _wait_ready(self, names: set[str], seconds: float = 60) -> None:
        from celery import Celery

        client = Celery("bench", broker=self.broker_url)
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                replies = client.control.ping(timeout=1.0) or []
                if names <= {name.split("@")[0] for reply in replies for name in reply}:
                    return
            raise SystemExit("the Celery workers did not start")
        finally:
            client.close()

    def _start(self, command: list[str], env: dict | None = None) -> None:
        log = open(self.folder / f"{Path(command[0]).name}-{len(self.processes)}.log", "w")
        self.processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))

    def keep_agencies_busy(self, engine: CaseEngine, cases: int = 40) -> int:
        """Cases waiting on an agency whose every answer takes SLOW_AGENCY_SECONDS: the default
        worker's two processes are busy with them for cases * 5 / 2 seconds."""
        import requests

        requests.put(
            f"{self.simulator.url}/_admin/faults/household_registration",
            json={"mode": "hang", "hang_seconds": SLOW_AGENCY_SECONDS},
            timeout=5,
        ).raise_for_status()
        engine.handle(cmd.DeployDefinition(files_from_folder(ROOT / "bpmn" / "household_transcript"), actor="bench"))
        received = {"national_id": "A123456789", "applicant_name": "王小明", "scope": "full", "copies": 1}
        for _ in range(cases):
            started = engine.handle(cmd.StartCase("household_transcript", {}, actor="bench"))
            engine.handle(cmd.CompleteTask(started.open_tasks[0].id, "bench", received))
        return cases

    def agency_requests(self) -> int:
        import requests

        return requests.get(f"{self.simulator.url}/_admin/stats", timeout=5).json()["agencies"][
            "household_registration"
        ]["requests"]

    def __exit__(self, *_exc) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.simulator.stop()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waiting", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--spread-seconds", type=float, default=10.0)
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a temporary folder)")
    parser.add_argument("--mode", choices=("embedded", "celery"), default="embedded", help="who fires the timers")
    parser.add_argument("--broker-url", help="Celery mode: a Redis to use (default: one started here)")
    parser.add_argument(
        "--small-database-url",
        help="a second empty database of the same kind, for the idle "
        "pass with 100 cases (default: SQLite in a temporary folder "
        "when --database-url is not given)",
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="onestop-bench-timers-"))
    url = args.database_url or f"sqlite:///{folder}/timers.db"
    small_url = args.small_database_url or (f"sqlite:///{folder}/small.db" if not args.database_url else None)
    upgrade(url)

    # Timers fall due well after seeding and the idle measurement have finished.
    lead = 20.0 + args.waiting / 4000 + (40.0 if args.mode == "celery" else 0.0)  # Celery: its processes start
    start = datetime.now(timezone.utc) + timedelta(seconds=lead)
    step = timedelta(seconds=args.spread_seconds / args.due)
    spread = [start + step * i for i in range(args.due)]
    burst_at = start + timedelta(seconds=args.spread_seconds + 10)
    seeded = seed(url, args.waiting, spread + [burst_at] * args.due)
    print(f"seeded {args.waiting} waiting cases in {seeded['seed_s']} s (state {seeded['state_kb']} KB each)")

    idle_big = idle_pass_seconds(url)
    if small_url:
        upgrade(small_url)
        seed(small_url, 100, [])
        idle_small = idle_pass_seconds(small_url)
    else:
        idle_small = float("nan")
    print(f"idle pass: {idle_small * 1000:.3f} ms with 100 waiting, {idle_big * 1000:.3f} ms with {args.waiting}")
    if datetime.now(timezone.utc) > start - timedelta(seconds=2):
        raise SystemExit("seeding took longer than planned: raise the lead time")

    engine = build_engine(Settings(environment="test", database_url=url), catalogue=FarCatalogue())
    deadline = time.monotonic() + lead + args.spread_seconds + 10 + 600
    extra: dict = {}
    if args.mode == "celery":
        with CeleryDeployment(url, args.broker_url, folder) as deployment:
            extra["slow_agency_jobs"] = deployment.keep_agencies_busy(engine)
            wait_until_fired(engine, 2 * args.due, deadline)
            extra["agency_calls_meanwhile"] = deployment.agency_requests()
    else:
        scheduler = EmbeddedScheduler(engine, poll_seconds=0.5).start()
        try:
            wait_until_fired(engine, 2 * args.due, deadline)
        finally:
            scheduler.stop()
    fired = fired_times(engine)
    engine.dispose()
    spread_set, burst_set = [], []
    for due, at in fired.values():
        (burst_set if due == burst_at else spread_set).append((due, at))
    if len(spread_set) != args.due or len(burst_set) != args.due:
        raise SystemExit(f"only {len(spread_set)} + {len(burst_set)} of {2 * args.due} timers fired")
    spread_delays = [(at - due).total_seconds() for due, at in spread_set]
    burst_delays = [(at - due).total_seconds() for due, at in burst_set]
    figures = {
        "waiting": args.waiting,
        "due": args.due,
        "fire_all_s": round(max(burst_delays), 3),
        "p99_delay_s": round(percentile(spread_delays, 0.99), 3),
        "p50_delay_s": round(percentile(spread_delays, 0.50), 3),
        "max_delay_s": round(max(spread_delays), 3),
        "burst_p99_delay_s": round(percentile(burst_delays, 0.99), 3),
        "fire_rate_per_s": round(args.due / max(burst_delays), 1),
        "idle_pass_ms_100": round(idle_small * 1000, 3),
        "idle_pass_ms_waiting": round(idle_big * 1000, 3),
        "idle_cost_ratio": round(idle_big / idle_small, 2) if small_url else None,
        "database": "sqlite" if url.startswith("sqlite") else url.split(":", 1)[0],
        "seed_s": seeded["seed_s"],
        "mode": args.mode,
        **extra,
    }
    print(
        f"spread ({args.due} over {args.spread_seconds:g} s): p50 {figures['p50_delay_s']} s, "
        f"p99 {figures['p99_delay_s']} s, max {figures['max_delay_s']} s from due to fired"
    )
    print(
        f"burst ({args.due} at one instant): all fired after {figures['fire_all_s']} s ({figures['fire_rate_per_s']}/s)"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
