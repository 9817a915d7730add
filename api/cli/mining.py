"""``mining``: export cases for process mining (XES, OCEL 2.0)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from engine.audit import CaseSelection, mined_cases, to_ocel, to_xes

from .common import current_engine, echo_line, office_zone

group = AppGroup("mining", help="Export cases for process mining (XES, OCEL 2.0).")


def _mining_options(command):
    for option in reversed(
        [
            click.option("--procedure"),
            click.option("--status", type=click.Choice(["running", "completed", "cancelled"])),
            click.option("--received-from", type=click.DateTime(formats=["%Y-%m-%d"])),
            click.option("--received-to", type=click.DateTime(formats=["%Y-%m-%d"])),
            click.option("--limit", default=10_000, show_default=True),
            click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True),
        ]
    ):
        command = option(command)
    return command


def _selection(procedure, status, received_from, received_to, limit) -> CaseSelection:
    zone = office_zone()
    return CaseSelection(
        procedure=procedure,
        status=status,
        limit=limit,
        received_from=received_from.replace(tzinfo=zone) if received_from else None,
        received_to=received_to.replace(tzinfo=zone) if received_to else None,
    )


@group.command("xes")
@_mining_options
def mining_xes(procedure, status, received_from, received_to, limit, output: Path) -> None:
    """Write the selected cases as an XES event log."""
    cases = mined_cases(current_engine(), _selection(procedure, status, received_from, received_to, limit))
    output.write_bytes(to_xes(cases))
    echo_line({"file": str(output), "cases": len(cases), "events": sum(len(c.events) for c in cases)})


@group.command("ocel")
@_mining_options
def mining_ocel(procedure, status, received_from, received_to, limit, output: Path) -> None:
    """Write the selected cases as an OCEL 2.0 JSON log."""
    cases = mined_cases(current_engine(), _selection(procedure, status, received_from, received_to, limit))
    output.write_text(json.dumps(to_ocel(cases), ensure_ascii=False), encoding="utf-8")
    echo_line({"file": str(output), "cases": len(cases), "events": sum(len(c.events) for c in cases)})
