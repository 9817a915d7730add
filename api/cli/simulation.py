"""``onestop simulate-month``: a simulated office month on the configured database
(empty), ending with the management report and the verification of every case.

The command wires the parts (an engine on a manual clock, the agency simulator on a loopback
port, the procedures of ``bpmn/``); the simulation itself is ``workflows.simulation``.
"""

from __future__ import annotations

import logging
import sys
import time as wall
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from bootstrap import build_engine, build_outbox
from engine import EngineError, ManualClock
from engine.audit import SCOPE_ALL, RunSummary, count_cases, record_run, worker_count
from engine.storage import upgrade
from workflows.agencies import AgencySettings
from workflows.agencies.simulator.server import SimulatorServer
from workflows.calendar import OFFICE_ZONE
from workflows.simulation import (
    CitySimulation,
    OfficeSimulation,
    SimulationSettings,
    as_csv,
    as_tables,
    city_report,
    comparison_table,
    management_report,
    month_bounds,
    parse_staff,
)

from .common import deploy_folder

DEFAULT_MONTH = "2026-03"


def _month(value: str) -> date:
    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError:
        raise click.BadParameter("give the month as YYYY-MM, e.g. 2026-03", param_hint="--month") from None


@click.command("simulate-month")
@with_appcontext
@click.option("--month", default=DEFAULT_MONTH, show_default=True, help="the month to simulate, YYYY-MM")
@click.option("--seed", type=int, default=7, show_default=True, help="the same seed gives the same month")
@click.option(
    "--cases", type=click.IntRange(1, 20000), default=1200, show_default=True, help="applications expected in the month"
)
@click.option(
    "--clerks",
    type=click.IntRange(1, 100),
    default=4,
    show_default=True,
    help="clerks on the staff (one supervisor besides)",
)
@click.option(
    "--staff",
    help="clerks by lane and hours instead of --clerks, e.g. '*=3,Surveyor=1@9-12' (* is every lane but the supervisors')",
)
@click.option("--days", type=click.IntRange(1, 31), help="only the first N working days (a quick run)")
@click.option(
    "--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="also write the report to this CSV file"
)
@click.option(
    "--bpmn",
    "bpmn_folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="the procedures to deploy (default: the configured bpmn folder)",
)
@click.option(
    "--offices",
    "offices_count",
    type=click.IntRange(2, 37),
    help="a city's month: this many of Tainan's offices, demand falling from the centre, "
    "cross-district applications, one district's typhoon closure; --cases and --clerks are the city's",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="processes that verify the cases by replay (default: one per core); the month itself runs in one",
)
def simulate_month(
    month: str,
    seed: int,
    cases: int,
    clerks: int,
    staff: str | None,
    days: int | None,
    csv_path: Path | None,
    bpmn_folder: Path | None,
    offices_count: int | None,
    workers: int | None,
) -> None:
    """Simulate an office month: applicants, clerks, agencies with faults, the clock.

    Runs on the configured database, which must hold no case yet (e.g.
    ONESTOP_DATABASE_URL=sqlite:///instance/simulation.db). Prints the management report,
    writes it as CSV with --csv, and verifies every case by replay: exit 1 if any fails.
    """
    settings = current_app.config["ONESTOP_SETTINGS"]
    if settings.environment == "production":
        raise click.UsageError("the simulation never runs in production")
    first_day = _month(month)
    try:
        lines = parse_staff(staff) if staff else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--staff") from None
    upgrade(settings.database_url)
    started = wall.monotonic()
    # Agency outages are part of the month: their retries and failures are counted in the
    # summary, not logged one by one over the progress bar.
    logger = logging.getLogger("onestop")
    level = logger.level
    logger.setLevel(logging.ERROR)
    simulator = SimulatorServer().start()
    # The circuit breaker counts real seconds, the simulation simulated ones: with no reset
    # time it never refuses a call by the wall clock, so a seed gives the same month.
    agencies = AgencySettings.all_at(simulator.url, timeout_seconds=5.0, breaker_reset_seconds=0.0)
    engine = build_engine(replace(settings, agencies=agencies), ManualClock(_opening(first_day)))
    try:
        with engine.read() as session:
            if count_cases(session):
                raise click.UsageError(
                    "the database already holds cases: run the simulation on an empty one, "
                    "e.g. ONESTOP_DATABASE_URL=sqlite:///instance/simulation.db"
                )
        try:
            deploy_folder(engine, bpmn_folder or Path(settings.bpmn_folder), actor="simulation")
            city = offices_count is not None
            simulation = (CitySimulation if city else OfficeSimulation)(
                engine,
                SimulationSettings(first_day, seed=seed, cases=cases, clerks=clerks, working_days=days, staff=lines),
                *((offices_count,) if city else ()),
                faults=simulator.state.faults,
                # The notices go to the development mailbox, whatever the settings say: a
                # simulated applicant is never sent a real message.
                outbox=build_outbox(replace(settings, notify="development"), engine),
            )
        except (EngineError, ValueError) as error:
            raise click.ClickException(f"cannot simulate: {getattr(error, 'message', error)}") from error
        commands = Counter()
        engine.command_listeners.append(lambda command, _result: commands.update([type(command).__name__]))
        began = wall.perf_counter()
        with click.progressbar(
            length=len(simulation.working_days()), label=f"simulating {month}", file=sys.stderr, show_pos=True
        ) as bar:
            result = simulation.run(on_day=bar.update)
        simulated_seconds = wall.perf_counter() - began
        city_failed = _city(engine, result) if city else False
        report = management_report(engine, *_report_period(result))
        click.echo(
            f"\nManagement report {report['period']['from']} to {report['period']['to']} "
            f"({result.working_days} working days, seed {seed})\n"
        )
        click.echo(as_tables(report))
        if csv_path is not None:
            csv_path.write_text(as_csv(report), encoding="utf-8")
            click.echo(f"\nreport written to {csv_path}")
        click.echo("\n" + " ".join(f"{name}={count}" for name, count in sorted(result.counts.items())))
        for problem in result.problems:
            click.echo(f"problem: {problem}", err=True)
        _throughput(result.counts["cases_started"], sum(commands.values()), simulated_seconds)
        failed = _verify(engine, workers or worker_count())
    finally:
        logger.setLevel(level)
        engine.dispose()
        simulator.stop()
    click.echo(f"took {wall.monotonic() - started:.0f} s")
    sys.exit(1 if failed or city_failed else 0)


def _city(engine, result) -> bool:
    """The bureau's comparison of the offices, checked office by office; True if it disagrees."""
    report = city_report(engine, *_report_period(result))
    typhoon = result.typhoon
    click.echo(
        f"\nThe offices compared ({report['period']['from']} to {report['period']['to']}); typhoon closure of "
        f"{typhoon.get('district')} on {typhoon.get('day')}: {typhoon.get('rescheduled', 0)} of "
        f"{typhoon.get('checked', 0)} open cases there moved their due dates\n"
    )
    click.echo(comparison_table(report))
    for disagreement in report["disagreements"]:
        click.echo(f"office {disagreement['office']}: comparison and SLA report disagree {disagreement}", err=True)
    if not report["disagreements"]:
        click.echo(f"every office's figures agree with its own SLA report ({len(report['offices'])} offices)")
    return bool(report["disagreements"])


def _opening(day: date) -> datetime:
    return datetime.combine(day, time(7, 0), OFFICE_ZONE)


def _report_period(result) -> tuple[date, date]:
    first, last = month_bounds(result.first_day)
    return first, min(last, result.last_day)


def _throughput(cases: int, commands: int, seconds: float) -> None:
    """The month's pace: the cases started and the engine commands (clerks' steps, agency
    answers, timers, messages) per second of the run."""
    click.echo(
        f"simulated {cases} cases and {commands} engine commands in {seconds:.1f} s: "
        f"{cases / seconds:.1f} cases/s, {commands / seconds:.1f} commands/s"
    )


# The simulation verifies in worker processes from this many cases (a month has about 1,200).
VERIFY_IN_WORKERS_FROM = 500


def _verify(engine, workers: int) -> int:
    """Replay every case against its hash chain (in ``workers`` processes), record the run as an
    audit verification run (``engine.integrity``), print the count; returns how many failed."""
    with engine.read() as session:
        total = count_cases(session)
    summary = RunSummary(SCOPE_ALL, None, engine.clock.now())
    began = wall.perf_counter()
    verified = engine.verify_all(workers=workers, in_workers_from=VERIFY_IN_WORKERS_FROM)
    with click.progressbar(verified, length=total, label="verifying every case by replay", file=sys.stderr) as results:
        for verification in results:
            summary.checked += 1
            if not verification.ok:
                summary.failures.append(verification)
                click.echo(f"case {verification.number} FAILED verification: {verification.problems}", err=True)
    with engine.write() as session:
        run = record_run(session, summary, actor="simulation", finished_at=engine.clock.now())
        run_id = run.id
    seconds = wall.perf_counter() - began
    failed = len(summary.failures)
    click.echo(
        f"verified by replay: {summary.checked - failed} of {summary.checked} cases"
        + (f", {failed} FAILED" if failed else "")
        + f" (verification run {run_id}) in {seconds:.1f} s, {summary.checked / seconds:.0f} cases/s"
    )
    return failed
