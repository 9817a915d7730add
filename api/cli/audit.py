"""``audit``: verify and anchor the event log; list verification runs. Exit 1 when what they check does not hold."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

import click
from flask.cli import AppGroup

from config.audit import load_audit_settings
from engine import EngineError
from engine.audit import integrity

from .common import current_engine, echo, echo_line, fail, office_zone, resolve_case

group = AppGroup("audit", help="Verify and anchor the event log; list verification runs.")


@group.command("verify")
@click.argument("case", required=False)
@click.option("--all", "all_cases", is_flag=True, help="verify every case")
@click.option("--actor", default="cli", show_default=True, help="who runs it, for the record")
def audit_verify(case: str | None, all_cases: bool, actor: str) -> None:
    """Verify one case or all (hash chains and replay) and record the run; exit 1 on failure."""
    if bool(case) == all_cases:
        raise click.UsageError("give a case id or number, or --all")
    try:
        run = integrity.verify_and_record(current_engine(), actor=actor, case_id=resolve_case(case) if case else None)
    except EngineError as error:
        fail(error)
    echo(run)
    sys.exit(0 if run["ok"] else 1)


@group.command("runs")
@click.option("--case", help="only runs of this case (id or number)")
@click.option("--limit", default=20, show_default=True)
def audit_runs(case: str | None, limit: int) -> None:
    """Recorded verification runs, newest first."""
    try:
        case_id = resolve_case(case) if case else None
    except EngineError as error:
        fail(error)
    with current_engine().read() as session:
        runs, _total = integrity.list_runs(session, case_id=case_id, limit=limit)
    for run in runs:
        echo_line(run)


@group.command("anchor")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), help="the day to anchor (default: yesterday)")
@click.option("--missing", is_flag=True, help="anchor every day since the first event that has no anchor yet")
@click.option("--actor", default="cli", show_default=True)
def audit_anchor(day: datetime | None, missing: bool, actor: str) -> None:
    """Sign the chain heads of a day with ONESTOP_ANCHOR_KEY (run it daily, after midnight)."""
    engine, zone = current_engine(), office_zone()
    key = load_audit_settings().anchor_key
    yesterday = engine.clock.now().astimezone(zone).date() - timedelta(days=1)
    try:
        if missing:
            with engine.read() as session:
                days = integrity.unanchored_days(session, zone, yesterday)
        else:
            days = [day.date() if day else yesterday]
        for item in days:
            echo_line(integrity.anchor_day(engine, item, key=key, actor=actor, zone=zone))
    except EngineError as error:
        fail(error)


@group.command("verify-anchors")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]))
def audit_verify_anchors(since: datetime | None) -> None:
    """Check the anchors' signatures and that every anchored event is unchanged; exit 1 if not."""
    try:
        result = integrity.verify_anchors(
            current_engine(), key=load_audit_settings().anchor_key, since=since.date() if since else None
        )
    except EngineError as error:
        fail(error)
    echo(result)
    sys.exit(0 if result["ok"] else 1)
