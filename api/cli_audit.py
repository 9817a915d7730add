"""Audit, report, process-mining and retention commands (``flask --app api <group> <command>``).

Like the other commands they print JSON (reports may print CSV) and exit 1 when what they check
does not hold.
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from config.audit import load_audit_settings
from engine import EngineError
from engine.audit import CaseSelection, integrity, mined_cases, retention, timeline_of, to_ocel, to_xes
from workflows.identifiers import mask_national_ids
from workflows.reports import REPORTS, report_csv, run_report

from .cli import _case_id, _echo, _engine, _fail, cases_cli

audit_cli = AppGroup("audit", help="Verify and anchor the event log; list verification runs.")
reports_cli = AppGroup("reports", help="Management reports as JSON or CSV.")
mining_cli = AppGroup("mining", help="Export cases for process mining (XES, OCEL 2.0).")
retention_cli = AppGroup("retention", help="Archive and purge closed cases past their retention period.")


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["ONESTOP_SETTINGS"].timezone)


def _print_json(value) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, default=str))


@cases_cli.command("timeline")
@click.argument("case")
@click.option("--unmasked", is_flag=True, help="show personal numbers in clear (auditors only)")
def cases_timeline(case: str, unmasked: bool) -> None:
    """A case's history: actor, time, BPMN element and data changes of each event."""
    try:
        _echo(timeline_of(_engine(), _case_id(case), mask=None if unmasked else mask_national_ids))
    except EngineError as error:
        _fail(error)


# ---------------------------------------------------------------------- audit
@audit_cli.command("verify")
@click.argument("case", required=False)
@click.option("--all", "all_cases", is_flag=True, help="verify every case")
@click.option("--actor", default="cli", show_default=True, help="who runs it, for the record")
def audit_verify(case: str | None, all_cases: bool, actor: str) -> None:
    """Verify one case or all (hash chains and replay) and record the run; exit 1 on failure."""
    if bool(case) == all_cases:
        raise click.UsageError("give a case id or number, or --all")
    try:
        run = integrity.verify_and_record(_engine(), actor=actor, case_id=_case_id(case) if case else None)
    except EngineError as error:
        _fail(error)
    _echo(run)
    sys.exit(0 if run["ok"] else 1)


@audit_cli.command("runs")
@click.option("--case", help="only runs of this case (id or number)")
@click.option("--limit", default=20, show_default=True)
def audit_runs(case: str | None, limit: int) -> None:
    """Recorded verification runs, newest first."""
    try:
        case_id = _case_id(case) if case else None
    except EngineError as error:
        _fail(error)
    with _engine().read() as session:
        runs, _total = integrity.list_runs(session, case_id=case_id, limit=limit)
    for run in runs:
        _print_json(run)


@audit_cli.command("anchor")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), help="the day to anchor (default: yesterday)")
@click.option("--missing", is_flag=True, help="anchor every day since the first event that has no anchor yet")
@click.option("--actor", default="cli", show_default=True)
def audit_anchor(day: datetime | None, missing: bool, actor: str) -> None:
    """Sign the chain heads of a day with ONESTOP_ANCHOR_KEY (run it daily, after midnight)."""
    engine, zone = _engine(), _zone()
    key = load_audit_settings().anchor_key
    yesterday = engine.clock.now().astimezone(zone).date() - timedelta(days=1)
    try:
        if missing:
            with engine.read() as session:
                days = integrity.unanchored_days(session, zone, yesterday)
        else:
            days = [day.date() if day else yesterday]
        for item in days:
            _print_json(integrity.anchor_day(engine, item, key=key, actor=actor, zone=zone))
    except EngineError as error:
        _fail(error)


@audit_cli.command("verify-anchors")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]))
def audit_verify_anchors(since: datetime | None) -> None:
    """Check the anchors' signatures and that every anchored event is unchanged; exit 1 if not."""
    try:
        result = integrity.verify_anchors(_engine(), key=load_audit_settings().anchor_key,
                                          since=since.date() if since else None)
    except EngineError as error:
        _fail(error)
    _echo(result)
    sys.exit(0 if result["ok"] else 1)


# ---------------------------------------------------------------------- reports
@reports_cli.command("list")
def reports_list() -> None:
    for report in REPORTS.values():
        _print_json({"name": report.name, "title": report.title})


@reports_cli.command("show")
@click.argument("name", type=click.Choice(list(REPORTS)))
@click.option("--from", "first", type=click.DateTime(formats=["%Y-%m-%d"]), help="first day (default: this month)")
@click.option("--to", "last", type=click.DateTime(formats=["%Y-%m-%d"]), help="last day, included (default: today)")
@click.option("--procedure")
@click.option("--format", "output", type=click.Choice(["json", "csv"]), default="json", show_default=True)
def reports_show(name: str, first, last, procedure: str | None, output: str) -> None:
    """Print one report."""
    try:
        result = run_report(_engine(), name, first=first.date() if first else None,
                            last=last.date() if last else None, procedure=procedure, zone=_zone())
    except EngineError as error:
        _fail(error)
    if output == "csv":
        click.echo(report_csv(result), nl=False)
    else:
        _echo(result)


# ---------------------------------------------------------------------- process mining
def _mining_options(command):
    for option in reversed([
        click.option("--procedure"),
        click.option("--status", type=click.Choice(["running", "completed", "cancelled"])),
        click.option("--received-from", type=click.DateTime(formats=["%Y-%m-%d"])),
        click.option("--received-to", type=click.DateTime(formats=["%Y-%m-%d"])),
        click.option("--limit", default=10_000, show_default=True),
        click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True),
    ]):
        command = option(command)
    return command


def _selection(procedure, status, received_from, received_to, limit) -> CaseSelection:
    zone = _zone()
    return CaseSelection(procedure=procedure, status=status, limit=limit,
                         received_from=received_from.replace(tzinfo=zone) if received_from else None,
                         received_to=received_to.replace(tzinfo=zone) if received_to else None)


@mining_cli.command("xes")
@_mining_options
def mining_xes(procedure, status, received_from, received_to, limit, output: Path) -> None:
    """Write the selected cases as an XES event log."""
    cases = mined_cases(_engine(), _selection(procedure, status, received_from, received_to, limit))
    output.write_bytes(to_xes(cases))
    _print_json({"file": str(output), "cases": len(cases), "events": sum(len(c.events) for c in cases)})


@mining_cli.command("ocel")
@_mining_options
def mining_ocel(procedure, status, received_from, received_to, limit, output: Path) -> None:
    """Write the selected cases as an OCEL 2.0 JSON log."""
    cases = mined_cases(_engine(), _selection(procedure, status, received_from, received_to, limit))
    output.write_text(json.dumps(to_ocel(cases), ensure_ascii=False), encoding="utf-8")
    _print_json({"file": str(output), "cases": len(cases), "events": sum(len(c.events) for c in cases)})


# ---------------------------------------------------------------------- retention
@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="only list what would be archived")
@click.option("--limit", default=1000, show_default=True, help="at most this many cases in one archive file")
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path),
              help="where to write the archive (default: ONESTOP_ARCHIVE_FOLDER)")
@click.option("--actor", default="cli", show_default=True)
def retention_run(dry_run: bool, limit: int, folder: Path | None, actor: str) -> None:
    """Archive closed cases past their retention period to a JSON-lines file, then purge them."""
    settings = load_audit_settings()
    try:
        policy = retention.RetentionPolicy.parse(settings.retention_days, settings.retention_by_procedure)
        run = retention.archive_and_purge(_engine(), policy, folder or Path(settings.archive_folder), actor=actor,
                                          limit=limit, dry_run=dry_run)
    except EngineError as error:
        _fail(error)
    _echo(run.as_dict())


@retention_cli.command("verify-archive")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def retention_verify_archive(archive: Path) -> None:
    """Re-verify the cases in an archive file (chains, replay, recorded hash); exit 1 if any fails."""
    results = retention.verify_archive(_engine(), archive)
    for result in results:
        _print_json(result)
    sys.exit(0 if all(result["ok"] for result in results) else 1)


def register_audit_cli(app: Flask) -> None:
    for group in (audit_cli, reports_cli, mining_cli, retention_cli):
        app.cli.add_command(group)

