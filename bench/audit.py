"""Audit benchmark: replaying a 100-event case, verifying 10,000 cases, the monthly report on
100,000 cases.

    .venv/bin/python -m bench.audit [--verify-cases 10000] [--report-cases 100000]

1. Replay: one case of the document-check procedure driven through 49 supplement rounds by
   engine commands, then claimed (100 events); the time to replay it whole, to verify it, and to build its
   timeline (replay plus a data diff per command).
2. Verification: that many household-transcript cases run through engine commands (start,
   receive, issue: 3 commands, 3 events each), then ``verify_and_record`` over all of them
   (hash chains plus replay of every case), as ``flask audit verify --all`` does.
3. Reports: the large count is seeded with a documented shortcut, straight into the tables
   with bulk inserts: cases spread over the twelve months of 2025, each with its inbox rows
   (receive and issue, completed), its hash-chained events (case started, two task
   completions, a supplement round for one case in five, case completed), and a rating for
   three cases in five. The rows are consistent (foreign keys, unique numbers, chains that
   verify as chains) but their ``state`` is not a real workflow, so these cases do not replay:
   reports never replay. Then every report for one month (2025-06), as JSON rows.

Runs on SQLite (the embedded default) in a temporary folder. The last line printed is a JSON
object with the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import insert

from bootstrap import build_engine
from config import Settings
from engine import PendingEvent, files_from_folder
from engine import commands as cmd
from engine.audit import integrity, replay, timeline_of
from engine.storage import GENESIS_HASH, Case, CaseEvent, Rating, Task, chain_events, queries, upgrade
from workflows.agencies import AgencySettings
from workflows.agencies.simulator.server import SimulatorServer
from workflows.reports import REPORTS, SUPPLEMENT_MESSAGE, run_report

ROOT = Path(__file__).resolve().parent.parent
TAIPEI = ZoneInfo("Asia/Taipei")
RECEIVE = {"national_id": "A123456789", "applicant_name": "王小明", "scope": "full", "copies": 1}


_simulator: SimulatorServer | None = None


def new_engine(folder: Path, name: str):
    """An engine on a new database whose agency checks go to a simulator on loopback."""
    global _simulator
    if _simulator is None:
        _simulator = SimulatorServer().start()
    url = f"sqlite:///{folder / name}"
    upgrade(url)
    return build_engine(Settings(environment="test", database_url=url, agencies=AgencySettings.all_at(_simulator.url)))


def open_task(engine, case_id: str, element_id: str):
    with engine.read() as session:
        return next(
            t
            for t in queries.case_tasks(session, case_id)
            if t.element_id == element_id and t.status in ("ready", "claimed")
        )


# ---------------------------------------------------------------------- 1. replay
def long_case(engine) -> str:
    engine.handle(
        cmd.DeployDefinition(files_from_folder(ROOT / "bench" / "procedures" / "document_check"), actor="bench")
    )
    started = engine.handle(cmd.StartCase("document_check", {}, actor="bench"))
    for _round in range(49):  # each round: a review that finds documents missing, then the documents
        task = open_task(engine, started.case_id, "review_documents")
        engine.handle(cmd.CompleteTask(task.id, "bench", {"documents_complete": False}))
        engine.handle(cmd.DeliverMessage(started.case_id, SUPPLEMENT_MESSAGE, {"pages": 1}, actor="applicant"))
    engine.handle(cmd.ClaimTask(open_task(engine, started.case_id, "review_documents").id, "bench"))  # event 100
    return started.case_id


def best_of(runs: int, action) -> float:
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        timings.append(time.perf_counter() - began)
    return min(timings)


def document_check_spec():
    """The long case's procedure as SpiffWorkflow's parser reads it (once: replay does not parse
    either, the engine keeps each version's parsed spec)."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(ROOT / "bench" / "procedures" / "document_check" / "document_check.bpmn"))
    return parser.get_spec("document_check")


def spiff_alone(spec, events) -> None:
    """The steps the long case's events record, run by SpiffWorkflow alone in memory (its own
    script engine, nothing stored, nothing hashed): the baseline of replay."""
    workflow = BpmnWorkflow(spec)
    for event in events:
        if event.type == "case_started":
            workflow.task_tree.data.update(event.payload["data"])
        elif event.type == "task_completed":
            task = workflow.get_next_task(state=TaskState.READY, manual=True)
            task.data.update(event.payload["data"])
            task.run()
        elif event.type == "message_delivered":
            workflow.send_event(
                BpmnEvent(MessageEventDefinition(event.payload["name"]), payload=event.payload["payload"])
            )
        else:
            continue
        workflow.do_engine_steps()


def median_of_alternating(runs: int, first, second) -> tuple[float, float]:
    """Median seconds of two actions timed in alternation, so that load slows both alike."""
    timings = ([], [])
    for _ in range(runs):
        for action, spent in zip((first, second), timings):
            began = time.perf_counter()
            action()
            spent.append(time.perf_counter() - began)
    return statistics.median(timings[0]), statistics.median(timings[1])


def measure_replay(engine) -> dict:
    case_id = long_case(engine)
    with engine.read() as session:
        case = queries.get_case(session, case_id)
        events = queries.case_events(session, case_id)
        definition = engine.deployments.get(session, case.definition_id)
    result = replay.replay(case_id, events, definition, engine.script_engine)
    assert result.divergent_seq is None and result.state == case.state
    spec = document_check_spec()
    replay_seconds, spiff_seconds = median_of_alternating(
        9, lambda: replay.replay(case_id, events, definition, engine.script_engine), lambda: spiff_alone(spec, events)
    )
    return {
        "replay_events": len(events),
        "replay_ms": round(1000 * replay_seconds, 1),
        "spiff_alone_ms": round(1000 * spiff_seconds, 1),
        "replay_ratio": round(replay_seconds / spiff_seconds, 2),
        "verify_one_ms": round(1000 * best_of(5, lambda: engine.verify_case(case_id)), 1),
        "timeline_ms": round(1000 * best_of(3, lambda: timeline_of(engine, case_id)), 1),
    }


# ---------------------------------------------------------------------- 2. verification
def measure_verification(engine, cases: int) -> dict:
    engine.handle(cmd.DeployDefinition(files_from_folder(ROOT / "bpmn" / "household_transcript"), actor="bench"))
    began = time.perf_counter()
    for _ in range(cases):
        started = engine.handle(cmd.StartCase("household_transcript", {}, actor="bench"))
        engine.handle(cmd.CompleteTask(started.open_tasks[0].id, "bench", RECEIVE))
        engine.run_due_jobs()  # the household register's answer
        engine.handle(
            cmd.CompleteTask(open_task(engine, started.case_id, "issue_transcript").id, "bench", {"fee_paid": 15})
        )
    seeded = time.perf_counter() - began
    began = time.perf_counter()
    run = integrity.verify_and_record(engine, actor="bench")
    elapsed = time.perf_counter() - began
    assert run["ok"] and run["cases_checked"] >= cases, run
    return {
        "verify_cases": run["cases_checked"],
        "verify_seconds": round(elapsed, 2),
        "verify_per_s": round(run["cases_checked"] / elapsed, 1),
        "verify_seed_seconds": round(seeded, 1),
    }


# ---------------------------------------------------------------------- 3. reports
def seed_report_cases(engine, cases: int, batch: int = 5000) -> float:
    """Bulk rows for ``cases`` household-transcript cases received in 2025 (see the docstring)."""
    engine.handle(cmd.DeployDefinition(files_from_folder(ROOT / "bpmn" / "household_transcript"), actor="bench"))
    with engine.read() as session:
        definition_id = queries.definition_versions(session, "household_transcript")[-1].id
    rng = random.Random(20250101)
    began = time.perf_counter()
    start = datetime(2025, 1, 1, 1, 0, tzinfo=timezone.utc)
    for first in range(0, cases, batch):
        rows = [
            _seeded_case(rng, definition_id, start + timedelta(minutes=5 * index * 100_000 / cases), index)
            for index in range(first, min(cases, first + batch))
        ]
        with engine.db.begin() as conn:
            conn.execute(insert(Case.__table__), [row["case"] for row in rows])
            conn.execute(insert(Task.__table__), [task for row in rows for task in row["tasks"]])
            conn.execute(insert(CaseEvent.__table__), [event for row in rows for event in row["events"]])
            ratings = [row["rating"] for row in rows if row["rating"]]
            if ratings:
                conn.execute(insert(Rating.__table__), ratings)
    return time.perf_counter() - began


def _seeded_case(rng: random.Random, definition_id: int, received: datetime, index: int) -> dict:
    case_id = str(uuid.UUID(int=rng.getrandbits(128)))
    hours = rng.choice([0.5, 1, 2, 3, 5, 8, 30])  # most on time, some late (due after 4 office hours)
    issued = received + timedelta(hours=hours)
    closed = issued + timedelta(hours=rng.choice([0, 1, 24]))
    supplement = index % 5 == 0
    receive_id, issue_id = str(uuid.uuid4()), str(uuid.uuid4())
    commands = [
        (received, [PendingEvent("case_started", "clerk-1", {"definition_id": definition_id, "data": {}})]),
        (
            received,
            [
                PendingEvent(
                    "task_completed", f"clerk-{index % 12}", {"task_id": receive_id, "data": {}}, "receive_application"
                )
            ],
        ),
        *(
            [
                (
                    received + timedelta(minutes=20),
                    [PendingEvent("message_delivered", "applicant", {"name": SUPPLEMENT_MESSAGE, "payload": {}})],
                )
            ]
            if supplement
            else []
        ),
        (
            issued,
            [
                PendingEvent(
                    "task_completed", f"clerk-{index % 12}", {"task_id": issue_id, "data": {}}, "issue_transcript"
                )
            ],
        ),
        (closed, [PendingEvent("case_completed", "engine")]),
    ]
    events, seq, last_hash = [], 0, GENESIS_HASH
    for moment, pending in commands:
        rows = chain_events(
            case_id,
            str(uuid.uuid4()),
            pending,
            occurred_at=moment,
            after_seq=seq,
            after_hash=last_hash,
            state_hash="0" * 64,
        )
        events.extend(rows)
        seq, last_hash = rows[-1]["seq"], rows[-1]["hash"]
    channel = ("counter", "online", "home_visit")[index % 3]
    task = {
        "case_id": case_id,
        "name": None,
        "element_type": "userTask",
        "lane": "Clerk",
        "form_key": None,
        "status": "completed",
        "assignee": None,
        "due_at": None,
    }
    return {
        "case": {
            "id": case_id,
            "number": f"B{index:09d}",
            "procedure_key": "household_transcript",
            "definition_id": definition_id,
            "status": "completed",
            "channel": channel,
            "applicant": None,
            "access_code": "BENCHBEN",
            "idempotency_key": None,
            "state": "{}",
            "state_hash": "0" * 64,
            "version": 1,
            "task_id_counter": 2,
            "last_event_seq": seq,
            "last_event_hash": last_hash,
            "received_at": received,
            "updated_at": closed,
            "closed_at": closed,
            "close_reason": None,
            "next_timer_at": None,
            "due_at": received + timedelta(hours=4),
            "overdue_at": None,
        },
        "tasks": [
            {
                **task,
                "id": receive_id,
                "element_id": "receive_application",
                "created_at": received,
                "completed_at": received,
                "completed_by": f"clerk-{index % 12}",
            },
            {
                **task,
                "id": issue_id,
                "element_id": "issue_transcript",
                "created_at": received,
                "completed_at": issued,
                "completed_by": f"clerk-{index % 12}",
            },
        ],
        "events": events,
        "rating": (
            {
                "case_id": case_id,
                "procedure_key": "household_transcript",
                "channel": channel,
                "score": rng.choice([1, 2, 3, 4, 5, 5, 5]),
                "comment": None,
                "rated_at": closed,
            }
            if index % 5 < 3
            else None
        ),
    }


def measure_reports(engine, cases: int) -> dict:
    seeded = seed_report_cases(engine, cases)
    timings, rows = {}, {}
    for name in REPORTS:
        procedure = "household_transcript" if name == "steps" else None
        began = time.perf_counter()
        result = run_report(
            engine, name, first=date(2025, 6, 1), last=date(2025, 6, 30), procedure=procedure, zone=TAIPEI
        )
        timings[name] = round(1000 * (time.perf_counter() - began), 1)
        rows[name] = len(result["rows"])
    return {
        "report_cases": cases,
        "report_seed_seconds": round(seeded, 1),
        "monthly_report_seconds": round(sum(timings.values()) / 1000, 3),
        "report_ms": timings,
        "report_rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verify-cases", type=int, default=10_000)
    parser.add_argument("--report-cases", type=int, default=100_000)
    args = parser.parse_args()
    figures: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        engine = new_engine(folder, "replay.db")
        figures.update(measure_replay(engine))
        print(
            f"replay of a {figures['replay_events']}-event case: {figures['replay_ms']} ms, SpiffWorkflow alone "
            f"{figures['spiff_alone_ms']} ms (ratio {figures['replay_ratio']}); verify "
            f"{figures['verify_one_ms']} ms; timeline {figures['timeline_ms']} ms",
            flush=True,
        )
        figures.update(measure_verification(engine, args.verify_cases))
        print(
            f"verified {figures['verify_cases']} cases in {figures['verify_seconds']} s "
            f"({figures['verify_per_s']} cases/s)",
            flush=True,
        )
        engine.dispose()
        engine = new_engine(folder, "reports.db")
        figures.update(measure_reports(engine, args.report_cases))
        print(
            f"monthly report on {figures['report_cases']} cases: {figures['monthly_report_seconds']} s "
            f"({', '.join(f'{k} {v} ms' for k, v in figures['report_ms'].items())})",
            flush=True,
        )
        engine.dispose()
    figures["median_report_ms"] = statistics.median(figures["report_ms"].values())
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
