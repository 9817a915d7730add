"""Inbox and case-list benchmark: a clerk's first inbox page among 100,000 open tasks (11
procedures, 40 groups), and the case list over 500,000 cases.

    .venv/bin/python -m bench.inbox [--open-tasks 100000] [--closed-cases 400000]
                                    [--database-url URL] [--folder DIR] [--requests 200]

Seeding, by copying real engine rows (as docs/performance.md describes): an office month is
simulated for a few days on the procedures of ``bpmn/`` (clerks, agency answers, supplements,
ratings), and one more case of each procedure is started, so that every procedure has a case
waiting at its first step. The rows of these cases (``cases`` with their state, ``tasks``) are
the templates. Copies get a new id, a new number of the real format, their times moved to the
copy's receipt time, and their lanes spread over 40 groups (36 clerk groups, 2 supervisor
groups, the handling officer and the surveyor): running copies until the open tasks number
``--open-tasks``, received over the last 60 days, then completed copies received over the two
years before. The event log is not copied: no list reads it (it makes the file smaller, not the
lists faster). ``--folder`` keeps the SQLite database there and reuses it on the next run.

Measured, each ``--requests`` times in a shuffled order, through the API in process (Flask's
test client: authentication, the view, the query, the schema) and the query function alone:
- inbox: a clerk's first page in one group and in two, sorted by due date, and with the
  overdue filter; ``inbox_p95_ms`` is the 95th percentile of all of them through the API;
- case list: newest first, status running, status completed, overdue, one procedure with a
  status, a month of receipt; as an auditor (every case) and as a clerk (the cases with work
  in the clerk's group).

On PostgreSQL (``--database-url``, an empty database) the tables are vacuumed and analyzed after
seeding, as autovacuum would have done; SQLite runs as the project runs it. The last line
printed is a JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path
from typing import Callable

from sqlalchemy import bindparam, func, insert, select, text

from bootstrap import build_engine
from config import Settings
from engine import CaseAccess, ManualClock, accounts, files_from_folder
from engine import commands as cmd
from engine.storage import Case, Task, User, queries, upgrade
from engine.storage import search as case_search
from workflows.agencies import AgencySettings
from workflows.agencies.simulator.server import SimulatorServer
from workflows.calendar import OFFICE_ZONE
from workflows.identifiers import make_national_id
from workflows.simulation import OfficeSimulation, SimulationSettings

ROOT = Path(__file__).resolve().parent.parent
CASES, TASKS = Case.__table__, Task.__table__
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=OFFICE_ZONE)  # the moment the clerks look
CLERK_GROUPS, SUPERVISOR_GROUPS = 36, 2
BATCH = 2000
DATETIME_COLUMNS = ("received_at", "updated_at", "closed_at", "next_timer_at", "due_at", "overdue_at", "sla_paused_at")
TASK_DATETIMES = ("created_at", "due_at", "completed_at")


# ---------------------------------------------------------------------- templates
@dataclass
class Template:
    case: dict
    tasks: list[dict]

    @property
    def open_tasks(self) -> int:
        return sum(task["status"] in ("ready", "claimed") for task in self.tasks)


def make_templates(folder: Path) -> tuple[list[Template], list[Template]]:
    """Real cases of every procedure: (running ones with open tasks, completed ones)."""
    url = f"sqlite:///{folder / 'templates.db'}"
    upgrade(url)
    simulator = SimulatorServer().start()
    agencies = AgencySettings.all_at(simulator.url, timeout_seconds=5.0, breaker_reset_seconds=0.0)
    first_day = date(2026, 3, 1)
    clock = ManualClock(datetime.combine(first_day, clock_time(7, 0), OFFICE_ZONE))
    engine = build_engine(Settings(environment="test", database_url=url, agencies=agencies), clock)
    try:
        procedures = sorted(path for path in (ROOT / "bpmn").iterdir() if path.is_dir())
        for folder_of_procedure in procedures:
            engine.handle(cmd.DeployDefinition(files_from_folder(folder_of_procedure), actor="bench"))
        OfficeSimulation(
            engine, SimulationSettings(first_day, seed=19, cases=1200, working_days=3), faults=simulator.state.faults
        ).run()
        for folder_of_procedure in procedures:  # a case of each procedure at its first step
            engine.handle(cmd.StartCase(folder_of_procedure.name, {}, "counter", actor="bench"))
        with engine.db.connect() as conn:
            cases = [dict(row._mapping) for row in conn.execute(select(CASES))]
            tasks: dict[str, list[dict]] = {}
            for row in conn.execute(select(TASKS)):
                tasks.setdefault(row.case_id, []).append(dict(row._mapping))
    finally:
        engine.dispose()
        simulator.stop()
    templates = [Template(case, tasks.get(case["id"], [])) for case in cases]
    running = [t for t in templates if t.case["status"] == "running" and t.open_tasks]
    completed = [t for t in templates if t.case["status"] == "completed"]
    return running, completed


# ---------------------------------------------------------------------- copies
def group_of(lane: str | None, index: int) -> str | None:
    """The 40 groups: the copies of a template's lanes spread over them by the copy's index."""
    if lane == "Clerk":
        return f"Clerk {index % CLERK_GROUPS:02d}"
    if lane == "Supervisor":
        return f"Supervisor {index % SUPERVISOR_GROUPS}"
    return lane


def copy_of(template: Template, index: int, received: datetime, number: str) -> tuple[dict, list[dict]]:
    shift = received - template.case["received_at"]
    case_id = str(uuid.uuid4())
    case = dict(template.case, id=case_id, number=number, idempotency_key=None, version=1)
    for name in DATETIME_COLUMNS:
        if case[name] is not None:
            case[name] = case[name] + shift
    tasks = []
    for task in template.tasks:
        copied = dict(task, id=str(uuid.uuid4()), case_id=case_id, lane=group_of(task["lane"], index))
        for name in TASK_DATETIMES:
            if copied[name] is not None:
                copied[name] = copied[name] + shift
        tasks.append(copied)
    return case, tasks


def seed(engine, running: list[Template], completed: list[Template], open_tasks: int, closed_cases: int) -> dict:
    rng = random.Random(19)
    now = NOW.astimezone(timezone.utc)
    began = time.perf_counter()
    counts = {"running_cases": 0, "open_tasks": 0, "closed_cases": 0}
    numbers = iter(range(1, 10**7))

    def write(rows: list[tuple[dict, list[dict]]]) -> None:
        with engine.db.begin() as conn:
            conn.execute(insert(CASES), [case for case, _ in rows])
            conn.execute(insert(TASKS), [task for _, tasks in rows for task in tasks])

    batch: list[tuple[dict, list[dict]]] = []
    index = 0
    while counts["open_tasks"] < open_tasks:
        template = running[index % len(running)]
        received = now - timedelta(seconds=rng.uniform(600, 60 * 86400))
        batch.append(copy_of(template, index, received, f"{received.year}-R{next(numbers):07d}"))
        counts["running_cases"] += 1
        counts["open_tasks"] += template.open_tasks
        index += 1
        if len(batch) == BATCH:
            write(batch)
            batch = []
    for _ in range(closed_cases):
        template = completed[index % len(completed)]
        received = now - timedelta(days=60) - timedelta(seconds=rng.uniform(0, 2 * 365 * 86400))
        batch.append(copy_of(template, index, received, f"{received.year}-C{next(numbers):07d}"))
        counts["closed_cases"] += 1
        index += 1
        if len(batch) == BATCH:
            write(batch)
            batch = []
    if batch:
        write(batch)
    counts["seed_seconds"] = round(time.perf_counter() - began, 1)
    return counts


def prepare_database(engine) -> None:
    if engine.db.dialect.name == "postgresql":
        with engine.db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


# ---------------------------------------------------------------------- measuring
@dataclass
class Scenario:
    name: str
    path: str  # the API request
    user: str
    query: Callable[[object], object]  # the query function alone, on a read session


def scenarios(engine) -> list[Scenario]:
    now = engine.clock.now()
    one, two = ["Clerk 00"], ["Clerk 00", "Clerk 01"]
    office = CaseAccess.of("auditor", ["auditor"], [])
    clerk_access = CaseAccess.of("clerk-1", ["clerk"], one)
    month = datetime(2026, 6, 1, tzinfo=OFFICE_ZONE)

    def inbox(groups, overdue=False):
        def run(session):
            queries.list_tasks(session, queries.TaskFilter(groups=groups, overdue_at=now if overdue else None))

        return run

    def cases(access, **filters):
        return lambda session: case_search.search_cases(session, case_search.CaseSearch(**filters), access)

    return [
        Scenario("inbox 1 group", "/api/tasks", "clerk-1", inbox(one)),
        Scenario("inbox 1 group, overdue", "/api/tasks?overdue=true", "clerk-1", inbox(one, True)),
        Scenario("inbox 2 groups", "/api/tasks", "clerk-2", inbox(two)),
        Scenario("inbox 2 groups, overdue", "/api/tasks?overdue=true", "clerk-2", inbox(two, True)),
        Scenario("cases newest", "/api/cases", "auditor", cases(office)),
        Scenario("cases running", "/api/cases?status=running", "auditor", cases(office, status="running")),
        Scenario("cases completed", "/api/cases?status=completed", "auditor", cases(office, status="completed")),
        Scenario("cases overdue", "/api/cases?overdue=true", "auditor", cases(office, overdue_at=now)),
        Scenario(
            "cases procedure+status",
            "/api/cases?procedure=id_card&status=completed",
            "auditor",
            cases(office, procedure="id_card", status="completed"),
        ),
        Scenario(
            "cases one month",
            "/api/cases?received_from=2026-06-01T00:00:00%2B08:00&received_to=2026-07-01T00:00:00%2B08:00",
            "auditor",
            cases(office, received_from=month, received_to=month.replace(month=7)),
        ),
        Scenario("cases of a clerk", "/api/cases", "clerk-1", cases(clerk_access)),
        Scenario(
            "cases of a clerk, running", "/api/cases?status=running", "clerk-1", cases(clerk_access, status="running")
        ),
        *search_scenarios(engine, office),
    ]


# The applicant whom the search looks for, among SEARCHED_APPLICANTS applicants of their own.
SEARCHED = ("林美華", "A123456789", "0912345678")
SEARCHED_APPLICANTS = 10_000
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"


def give_applicants_search_keys(engine) -> None:
    """Copies share their template's applicant (and a database seeded before the search columns
    has none): the first SEARCHED_APPLICANTS cases by id get applicants of their own, the first
    of them SEARCHED, so that each search finds its one case among 500,000 (and a name's first
    character finds a twentieth of them)."""
    index = engine.case_index
    with engine.read() as session:
        if session.scalar(select(CASES.c.id).where(CASES.c.applicant_id_digest == index.id_digest(SEARCHED[1]))):
            return
        ids = list(session.scalars(select(CASES.c.id).order_by(CASES.c.id).limit(SEARCHED_APPLICANTS)))
    rng = random.Random(19)
    rows = []
    for position, case_id in enumerate(ids):
        name, national_id, phone = (
            SEARCHED
            if position == 0
            else (SURNAMES[position % len(SURNAMES)] + "小明", make_national_id(rng), f"09{rng.randrange(10**8):08d}")
        )
        rows.append(
            {
                "match_id": case_id,
                "applicant_name": name,
                "applicant_name_key": index.name_key(name),
                "applicant_id_digest": index.id_digest(national_id),
                "applicant_phone": index.phone_digits(phone),
            }
        )
    statement = (
        CASES.update()
        .where(CASES.c.id == bindparam("match_id"))
        .values({key: bindparam(key) for key in rows[0] if key != "match_id"})
    )
    with engine.db.begin() as conn:
        conn.execute(statement, rows)


def search_scenarios(engine, office: CaseAccess) -> list[Scenario]:
    """The front-office search (GET /api/cases) by case number, the beginning of the applicant's
    name, national ID and phone, as the auditor (every case) searches."""
    index = engine.case_index
    name, national_id, phone = SEARCHED
    with engine.read() as session:
        number = session.scalar(
            select(CASES.c.number).where(CASES.c.applicant_id_digest == index.id_digest(national_id))
        )
    keys = {
        "number": (f"number={number}", {"number": number}),
        "name": (f"name={name[:2]}", {"name_key": index.name_key(name[:2])}),
        "national ID": (f"national_id={national_id}", {"id_digest": index.id_digest(national_id)}),
        "phone": (f"phone={phone}", {"phone": index.phone_digits(phone)}),
    }
    return [
        Scenario(
            f"search by {key}",
            f"/api/cases?{query}",
            "auditor",
            lambda session, found=found: case_search.search_cases(session, case_search.CaseSearch(**found), office),
        )
        for key, (query, found) in keys.items()
    ]


USERS = {
    "clerk-1": (["clerk"], ["Clerk 00"]),
    "clerk-2": (["clerk"], ["Clerk 00", "Clerk 01"]),
    "auditor": (["auditor"], []),
}


def tokens_for(engine) -> dict[str, str]:
    issued = {}
    with engine.write() as session:
        for username, (roles, groups) in USERS.items():
            user = accounts.create_user(session, username, roles=roles, groups=groups, now=engine.clock.now())
            issued[username], _ = accounts.issue_token(session, user, now=engine.clock.now(), lifetime=None)
    return issued


def measure(engine, client, tokens: dict[str, str], requests: int) -> dict[str, dict]:
    chosen = scenarios(engine)
    order = [scenario for scenario in chosen for _ in range(requests)]
    random.Random(7).shuffle(order)
    api: dict[str, list[float]] = {s.name: [] for s in chosen}
    api_cpu: dict[str, list[float]] = {s.name: [] for s in chosen}
    alone: dict[str, list[float]] = {s.name: [] for s in chosen}
    for scenario in chosen:  # warm both paths once
        _api_call(client, tokens, scenario)
    for scenario in order:
        began, began_cpu = time.perf_counter(), time.thread_time()
        _api_call(client, tokens, scenario)
        api[scenario.name].append(1000 * (time.perf_counter() - began))
        api_cpu[scenario.name].append(1000 * (time.thread_time() - began_cpu))
        began = time.perf_counter()
        with engine.read() as session:
            scenario.query(session)
        alone[scenario.name].append(1000 * (time.perf_counter() - began))
    return (
        {
            s.name: {
                "api_p50_ms": round(statistics.median(api[s.name]), 2),
                "api_p95_ms": round(percentile(api[s.name], 95), 2),
                "api_cpu_p95_ms": round(percentile(api_cpu[s.name], 95), 2),
                "query_p50_ms": round(statistics.median(alone[s.name]), 2),
                "query_p95_ms": round(percentile(alone[s.name], 95), 2),
            }
            for s in chosen
        },
        api,
        api_cpu,
    )


def _api_call(client, tokens, scenario: Scenario) -> None:
    response = client.get(scenario.path, headers={"Authorization": f"Bearer {tokens[scenario.user]}"})
    assert response.status_code == 200, (scenario.name, response.status_code, response.get_data(as_text=True)[:300])
    assert response.get_json()["items"], scenario.name


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share / 100 * (len(ordered) - 1)))]


# ---------------------------------------------------------------------- the run
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open-tasks", type=int, default=100_000)
    parser.add_argument("--closed-cases", type=int, default=400_000)
    parser.add_argument("--database-url", help="an empty database (default: SQLite in --folder or a temporary one)")
    parser.add_argument("--folder", type=Path, help="keep the SQLite database here and reuse it next time")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    from api import create_app

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.folder or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        url = args.database_url or f"sqlite:///{folder / 'inbox.db'}"
        settings = Settings(environment="test", database_url=url)
        upgrade(url)
        engine = build_engine(settings, ManualClock(NOW.astimezone(timezone.utc)))
        with engine.read() as session:
            present = session.scalar(select(func.count()).select_from(CASES))
        figures: dict = {"database": engine.db.dialect.name}
        if present:
            figures["reused_cases"] = present
            print(f"reusing the {present} cases in {url}", flush=True)
        else:
            running, completed = make_templates(Path(scratch))
            print(f"templates: {len(running)} running cases with open tasks, {len(completed)} completed", flush=True)
            for template in running + completed:
                for task in template.tasks:
                    task["case_id"] = template.case["id"]
            for folder_of_procedure in sorted(path for path in (ROOT / "bpmn").iterdir() if path.is_dir()):
                engine.handle(cmd.DeployDefinition(files_from_folder(folder_of_procedure), actor="bench"))
            _reuse_definitions(engine, running + completed)
            figures.update(seed(engine, running, completed, args.open_tasks, args.closed_cases))
            print(f"seeded: {figures}", flush=True)
            prepare_database(engine)
        give_applicants_search_keys(engine)
        with engine.read() as session:
            figures["cases"] = session.scalar(select(func.count()).select_from(CASES))
            figures["open_tasks"] = session.scalar(
                select(func.count()).select_from(TASKS).where(TASKS.c.status.in_(("ready", "claimed")))
            )
        app = create_app(replace(settings), engine=engine)
        logging.getLogger("onestop").setLevel(logging.WARNING)  # not a line per request
        tokens = tokens_for(engine) if not present else _existing_tokens(engine)
        results, api, api_cpu = measure(engine, app.test_client(), tokens, args.requests)
        for name, numbers in results.items():
            print(
                f"{name:28s} API p50 {numbers['api_p50_ms']:7.2f} p95 {numbers['api_p95_ms']:7.2f} ms "
                f"(CPU p95 {numbers['api_cpu_p95_ms']:6.2f}) | "
                f"query p50 {numbers['query_p50_ms']:7.2f} p95 {numbers['query_p95_ms']:7.2f} ms",
                flush=True,
            )
        figures.update(
            inbox_p95_ms=_p95_of(api, "inbox"),
            case_list_p95_ms=_p95_of(api, "cases"),
            search_p95_ms=_p95_of(api, "search"),
            # The CPU time of the request's thread: what a request costs, whatever else the
            # machine runs (on a shared machine the wall time includes waiting for a core).
            inbox_cpu_p95_ms=_p95_of(api_cpu, "inbox"),
            case_list_cpu_p95_ms=_p95_of(api_cpu, "cases"),
            search_cpu_p95_ms=_p95_of(api_cpu, "search"),
            load_average=round(os.getloadavg()[0], 1),
            scenarios=results,
        )
        engine.dispose()
    print(json.dumps(figures))


def _p95_of(times: dict[str, list[float]], prefix: str) -> float:
    return round(
        percentile([value for name, values in times.items() if name.startswith(prefix) for value in values], 95), 2
    )


def _reuse_definitions(engine, templates: list[Template]) -> None:
    """The copies point at this database's definitions: the same procedures, deployed here."""
    with engine.read() as session:
        by_key = {d.process_key: d.id for d in queries.list_definitions(session)}
    for template in templates:
        template.case["definition_id"] = by_key[template.case["procedure_key"]]


def _existing_tokens(engine) -> dict[str, str]:
    """New tokens for the benchmark's users of an earlier run (tokens are never stored)."""
    issued = {}
    with engine.write() as session:
        for username in USERS:
            user = session.scalar(select(User).where(User.username == username))
            issued[username], _ = accounts.issue_token(session, user, now=engine.clock.now(), lifetime=None)
    return issued


if __name__ == "__main__":
    main()
