"""``reports``: management reports as JSON or CSV."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from engine import EngineError
from workflows.reports import REPORTS, report_csv, run_report

from .common import current_engine, echo, echo_line, fail, office_zone

group = AppGroup("reports", help="Management reports as JSON or CSV.")


@group.command("list")
def reports_list() -> None:
    for report in REPORTS.values():
        echo_line({"name": report.name, "title": report.title})


@group.command("show")
@click.argument("name", type=click.Choice(list(REPORTS)))
@click.option("--from", "first", type=click.DateTime(formats=["%Y-%m-%d"]), help="first day (default: this month)")
@click.option("--to", "last", type=click.DateTime(formats=["%Y-%m-%d"]), help="last day, included (default: today)")
@click.option("--procedure")
@click.option("--format", "output", type=click.Choice(["json", "csv"]), default="json", show_default=True)
def reports_show(name: str, first, last, procedure: str | None, output: str) -> None:
    """Print one report."""
    try:
        result = run_report(
            current_engine(),
            name,
            first=first.date() if first else None,
            last=last.date() if last else None,
            procedure=procedure,
            zone=office_zone(),
        )
    except EngineError as error:
        fail(error)
    if output == "csv":
        click.echo(report_csv(result), nl=False)
    else:
        echo(result)
