"""``cases``: start, inspect, verify cases, and read their timeline."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from engine import EngineError
from engine import commands as cmd
from engine.audit import timeline_of
from engine.storage import queries
from workflows.identifiers import mask_national_ids

from .common import current_engine, echo, fail, json_option, resolve_case

group = AppGroup("cases", help="Start, inspect and verify cases.")


@group.command("start")
@click.argument("procedure")
@click.option("--data", help="initial case data as JSON")
@click.option("--channel", default="counter", show_default=True)
@click.option("--actor", default="cli", show_default=True)
def cases_start(procedure: str, data: str | None, channel: str, actor: str) -> None:
    try:
        started = current_engine().handle(cmd.StartCase(procedure, json_option(data, "--data"), channel, actor=actor))
    except EngineError as error:
        fail(error)
    echo(started.__dict__)


@group.command("index-applicants")
def cases_index_applicants() -> None:
    """Give cases started before the case search its keys (applicant name, ID digest, phone)."""
    echo({"indexed": current_engine().index_applicants()})


@group.command("history")
@click.argument("case")
def cases_history(case: str) -> None:
    """Print a case's events in order."""
    try:
        case_id = resolve_case(case)
    except EngineError as error:
        fail(error)
    with current_engine().read() as session:
        for event in queries.case_events(session, case_id):
            click.echo(
                json.dumps(
                    {
                        "seq": event.seq,
                        "type": event.type,
                        "at": event.occurred_at,
                        "actor": event.actor,
                        "element": event.element_id,
                        "payload": event.payload,
                        "hash": event.hash,
                    },
                    ensure_ascii=False,
                    default=str,
                )
            )


@group.command("state")
@click.argument("case")
@click.option("--at", "at_seq", type=int, help="the state after this event (by replay)")
def cases_state(case: str, at_seq: int | None) -> None:
    try:
        echo(current_engine().case_state(resolve_case(case), at_seq))
    except EngineError as error:
        fail(error)


@group.command("verify")
@click.argument("case", required=False)
@click.option("--all", "all_cases", is_flag=True, help="verify every case")
def cases_verify(case: str | None, all_cases: bool) -> None:
    """Check the hash chain and replay; exit 1 if any case fails."""
    engine = current_engine()
    if not case and not all_cases:
        raise click.UsageError("give a case id or number, or --all")
    try:
        results = engine.verify_all() if all_cases else [engine.verify_case(resolve_case(case))]
        failed = 0
        for result in results:
            failed += not result.ok
            click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    except EngineError as error:
        fail(error)
    sys.exit(1 if failed else 0)


@group.command("timeline")
@click.argument("case")
@click.option("--unmasked", is_flag=True, help="show personal numbers in clear (auditors only)")
def cases_timeline(case: str, unmasked: bool) -> None:
    """A case's history: actor, time, BPMN element and data changes of each event."""
    try:
        echo(timeline_of(current_engine(), resolve_case(case), mask=None if unmasked else mask_national_ids))
    except EngineError as error:
        fail(error)
