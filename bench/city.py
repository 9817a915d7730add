"""City benchmark: one deployment for Tainan's 37 offices on PostgreSQL.

    .venv/bin/python -m bench.city --database-url URL [--year-cases 550000] [--open-tasks 100000]
                                   [--month-cases 45000] [--sim-days 1] [--requests 100]

Three measures, in one run:

1. **Simulation**: the first ``--sim-days`` working days of a city month of ``--month-cases``
   applications over the 37 offices (``workflows.simulation.CitySimulation``: demand falling from
   the centre, cross-district applications) against a single office receiving the same number of
   applications in the same days (``OfficeSimulation``), each in a scratch SQLite database: cases
   simulated per second, and their ratio (city / one office: what the offices cost the engine).
2. **Reports on a year of data**: ``--year-cases`` cases over the 37 offices and twelve months
   (copies of real engine rows, as ``bench.inbox`` seeds them: each copy gets its office, a number
   of its office, and its times moved into the year), ``--open-tasks`` of them open in the last
   month; then the bureau's comparison for a month and for the year, the SLA report city-wide and
   for one office for a month, and the monthly review for one office (each the median of three).
   Goal: every report <= 2 s.
3. **Inbox**: a clerk of one office, first page of the inbox through the API in process, with the
   whole city's open tasks in the tables (``--requests`` times): ``inbox_p95_ms``, goal <= 20 ms.

``--database-url`` is an empty PostgreSQL database (SQLite works for a trial); the tables are
vacuumed and analyzed after seeding. The last line printed is a JSON object with the figures.
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
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.inbox import Template, make_templates, percentile, prepare_database
from bootstrap import build_engine
from config import Settings
from engine import ManualClock, accounts, files_from_folder
from engine import commands as cmd
from engine.audit import Period, reports
from engine.storage import Case, Task, offices, queries, upgrade
from workflows.agencies import AgencySettings
from workflows.agencies.simulator.server import SimulatorServer
from workflows.bureau import office_comparison
from workflows.calendar import OFFICE_ZONE
from workflows.offices import tainan_offices
from workflows.reports import run_report
from workflows.review import monthly_review
from workflows.simulation import CitySimulation, OfficeSimulation, SimulationSettings
from workflows.simulation.city import demand_shares

ROOT = Path(__file__).resolve().parent.parent
CASES, TASKS = Case.__table__, Task.__table__
YEAR = 2026
NOW = datetime(YEAR, 12, 28, 10, 0, tzinfo=OFFICE_ZONE)  # the clerks look late in the year
DATETIMES = ("received_at", "updated_at", "closed_at", "next_timer_at", "due_at", "overdue_at", "sla_paused_at")
TASK_DATETIMES = ("created_at", "due_at", "completed_at")
BATCH = 2000
CLERK_OFFICE = "TN05"


# ---------------------------------------------------------------------- 1. simulation
def simulation_rates(month_cases: int, days: int, scratch: Path) -> dict:
    """Cases simulated per second: the city's offices, and one office with the same arrivals."""
    first_day = date(YEAR, 3, 1)
    figures = {}
    for name, offices_count in (("one_office", None), ("city", 37)):
        url = f"sqlite:///{scratch / f'simulation-{name}.db'}"
        upgrade(url)
        simulator = SimulatorServer().start()
        agencies = AgencySettings.all_at(simulator.url, timeout_seconds=5.0, breaker_reset_seconds=0.0)
        clock = ManualClock(datetime.combine(first_day, clock_time(7, 0), OFFICE_ZONE))
        engine = build_engine(Settings(environment="test", database_url=url, agencies=agencies), clock)
        try:
            for folder in sorted(path for path in (ROOT / "bpmn").iterdir() if path.is_dir()):
                engine.handle(cmd.DeployDefinition(files_from_folder(folder), actor="bench"))
            settings = SimulationSettings(first_day, seed=23, cases=month_cases, clerks=120, working_days=days)
            simulation = (
                OfficeSimulation(engine, settings) if offices_count is None else CitySimulation(engine, settings, 37)
            )
            began = time.perf_counter()
            result = simulation.run()
            seconds = time.perf_counter() - began
            started = result.counts["cases_started"]
            figures[name] = {"cases": started, "seconds": round(seconds, 1), "cases_per_s": round(started / seconds, 2)}
            print(f"simulation {name}: {figures[name]}", flush=True)
        finally:
            engine.dispose()
            simulator.stop()
    figures["city_to_one_office"] = round(figures["city"]["cases_per_s"] / figures["one_office"]["cases_per_s"], 3)
    return figures


# ---------------------------------------------------------------------- 2. a year of data
def copy_into(template: Template, received: datetime, office: str, number: str) -> tuple[dict, list[dict]]:
    shift = received - template.case["received_at"]
    case_id = str(uuid.uuid4())
    case = dict(template.case, id=case_id, number=number, idempotency_key=None, version=1)
    case.update(office=office, received_office=office, received_by=None, officer=None)
    for name in DATETIMES:
        if case[name] is not None:
            case[name] = case[name] + shift
    tasks = []
    for task in template.tasks:
        copied = dict(task, id=str(uuid.uuid4()), case_id=case_id, office=office)
        for name in TASK_DATETIMES:
            if copied[name] is not None:
                copied[name] = copied[name] + shift
        tasks.append(copied)
    return case, tasks


def seed_year(engine, running: list[Template], completed: list[Template], year_cases: int, open_tasks: int) -> dict:
    """The year's cases over the offices by their demand: completed ones over the year, running
    ones (with open tasks) over its last month until ``open_tasks``."""
    rng = random.Random(23)
    codes = [office["code"] for office in tainan_offices()]
    shares = demand_shares(len(codes))
    start = datetime(YEAR, 1, 1, tzinfo=OFFICE_ZONE).astimezone(timezone.utc)
    now = NOW.astimezone(timezone.utc)
    numbers = {code: 0 for code in codes}
    counts = {"running_cases": 0, "open_tasks": 0, "closed_cases": 0}
    began = time.perf_counter()
    batch: list[tuple[dict, list[dict]]] = []

    def add(template: Template, received: datetime) -> None:
        office = rng.choices(codes, shares)[0]
        numbers[office] += 1
        batch.append(copy_into(template, received, office, f"{received.year}-{office}-{numbers[office]:06d}"))
        if len(batch) == BATCH:
            write()

    def write() -> None:
        with engine.db.begin() as conn:
            conn.execute(insert(CASES), [case for case, _ in batch])
            tasks = [task for _, tasks in batch for task in tasks]
            if tasks:
                conn.execute(insert(TASKS), tasks)
        batch.clear()

    index = 0
    while counts["open_tasks"] < open_tasks:
        template = running[index % len(running)]
        add(template, now - timedelta(seconds=rng.uniform(600, 30 * 86400)))
        counts["running_cases"] += 1
        counts["open_tasks"] += template.open_tasks
        index += 1
    year_seconds = (now - start).total_seconds() - 30 * 86400
    for _ in range(max(0, year_cases - counts["running_cases"])):
        add(completed[index % len(completed)], start + timedelta(seconds=rng.uniform(0, year_seconds)))
        counts["closed_cases"] += 1
        index += 1
    if batch:
        write()
    counts["seed_seconds"] = round(time.perf_counter() - began, 1)
    return counts


def timed(work, rounds: int = 3) -> float:
    """The median wall time of ``work`` in ms (the first round warms the caches)."""
    times = []
    for _ in range(rounds + 1):
        began = time.perf_counter()
        work()
        times.append(1000 * (time.perf_counter() - began))
    return round(statistics.median(times[1:]), 1)


def report_times(engine) -> dict:
    month = Period(date(YEAR, 11, 1), date(YEAR, 11, 30), OFFICE_ZONE)
    year = Period(date(YEAR, 1, 1), date(YEAR, 12, 31), OFFICE_ZONE)

    def one_office(work):
        def run():
            with reports.office_scope({CLERK_OFFICE}):
                work()

        return run

    return {
        "comparison_month_ms": timed(lambda: office_comparison(engine, month)),
        "comparison_year_ms": timed(lambda: office_comparison(engine, year)),
        "sla_city_month_ms": timed(lambda: run_report(engine, "sla", first=month.first, last=month.last)),
        "sla_office_month_ms": timed(one_office(lambda: run_report(engine, "sla", first=month.first, last=month.last))),
        "review_office_month_ms": timed(one_office(lambda: monthly_review(engine, month.first))),
    }


# ---------------------------------------------------------------------- 3. the inbox
def inbox_times(engine, app, requests: int) -> dict:
    with engine.write() as session:
        user = accounts.create_user(
            session, "bench-clerk", roles=["clerk"], groups=["Clerk"], offices=[CLERK_OFFICE], now=engine.clock.now()
        )
        token, _ = accounts.issue_token(session, user, now=engine.clock.now(), lifetime=None)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    times, cpu = [], []
    for index in range(requests + 5):
        began, began_cpu = time.perf_counter(), time.thread_time()
        response = client.get("/api/tasks", headers=headers)
        if index >= 5:  # after warming up
            times.append(1000 * (time.perf_counter() - began))
            cpu.append(1000 * (time.thread_time() - began_cpu))
        assert response.status_code == 200 and response.get_json()["items"], response.get_data(as_text=True)[:300]
    offices_seen = {item["case_number"].split("-")[1] for item in response.get_json()["items"]}
    assert offices_seen == {CLERK_OFFICE}, offices_seen
    return {
        "inbox_p50_ms": round(statistics.median(times), 2),
        "inbox_p95_ms": round(percentile(times, 95), 2),
        "inbox_cpu_p95_ms": round(percentile(cpu, 95), 2),
    }


# ---------------------------------------------------------------------- the run
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty database (PostgreSQL; default: a temporary SQLite one)")
    parser.add_argument("--year-cases", type=int, default=550_000)
    parser.add_argument("--open-tasks", type=int, default=100_000)
    parser.add_argument("--month-cases", type=int, default=45_000)
    parser.add_argument("--sim-days", type=int, default=1, help="working days of the month simulated (0: none)")
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    from api import create_app

    logging.getLogger("onestop").setLevel(logging.ERROR)  # agency retries, requests: not a line each
    figures: dict = {"offices": 37}
    with tempfile.TemporaryDirectory() as scratch:
        if args.sim_days:
            figures["simulation"] = simulation_rates(args.month_cases, args.sim_days, Path(scratch))
        url = args.database_url or f"sqlite:///{Path(scratch) / 'city.db'}"
        settings = Settings(environment="test", database_url=url)
        upgrade(url)
        engine = build_engine(settings, ManualClock(NOW.astimezone(timezone.utc)))
        with engine.read() as session:
            if session.scalar(select(func.count()).select_from(CASES)):
                raise SystemExit(f"{url} already holds cases: give an empty database")
        with engine.write() as session:
            for office in tainan_offices():
                offices.save_office(session.connection(), office, now=engine.clock.now())
        running, completed = make_templates(Path(scratch))
        for template in running + completed:
            for task in template.tasks:
                task["case_id"] = template.case["id"]
        for folder in sorted(path for path in (ROOT / "bpmn").iterdir() if path.is_dir()):
            engine.handle(cmd.DeployDefinition(files_from_folder(folder), actor="bench"))
        with engine.read() as session:
            by_key = {d.process_key: d.id for d in queries.list_definitions(session)}
        for template in running + completed:
            template.case["definition_id"] = by_key[template.case["procedure_key"]]
        figures["database"] = engine.db.dialect.name
        figures["seed"] = seed_year(engine, running, completed, args.year_cases, args.open_tasks)
        print(f"seeded: {figures['seed']}", flush=True)
        prepare_database(engine)
        figures["reports"] = report_times(engine)
        print(f"reports: {figures['reports']}", flush=True)
        figures["reports_max_ms"] = max(figures["reports"].values())
        app = create_app(replace(settings), engine=engine)
        logging.getLogger("onestop").setLevel(logging.ERROR)
        figures.update(inbox_times(engine, app, args.requests))
        engine.dispose()
    figures["load_average"] = round(os.getloadavg()[0], 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
