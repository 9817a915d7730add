"""What every command group shares: the app's engine, JSON output, errors, arguments."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import current_app

from engine import CaseEngine, EngineError, NotFound, files_from_folder
from engine import commands as cmd
from engine.storage import queries


def current_engine() -> CaseEngine:
    return current_app.extensions["onestop_engine"]


def office_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["ONESTOP_SETTINGS"].timezone)


def echo(value) -> None:
    """One JSON document, indented."""
    click.echo(json.dumps(value, ensure_ascii=False, default=str, indent=2))


def echo_line(value) -> None:
    """One JSON document on one line (for lists, one per line, to pipe into jq)."""
    click.echo(json.dumps(value, ensure_ascii=False, default=str))


def fail(error: EngineError) -> None:
    click.echo(
        json.dumps(
            {"error": error.kind, "message": error.message, **error.details}, ensure_ascii=False, default=str, indent=2
        ),
        err=True,
    )
    sys.exit(1)


def json_option(value: str | None, name: str):
    if not value:
        return {}
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"not valid JSON: {error}", param_hint=name) from None


def resolve_case(reference: str) -> str:
    """Accept a case id or a case number."""
    with current_engine().read() as session:
        try:
            return queries.get_case(session, reference).id
        except NotFound:
            return queries.get_case_by_number(session, reference).id


def deploy_folder(case_engine: CaseEngine, folder: Path, actor: str = "cli") -> list[dict]:
    """Deploy one procedure folder, or each procedure folder inside ``folder``."""
    procedure_folders = [folder] if any(folder.glob("*.bpmn")) else sorted(p for p in folder.iterdir() if p.is_dir())
    results = []
    for procedure in procedure_folders:
        deployed = case_engine.handle(cmd.DeployDefinition(files_from_folder(procedure), actor=actor))
        definition = deployed.definition
        results.append(
            {
                "folder": str(procedure),
                "key": definition.process_key,
                "version": definition.version,
                "created": deployed.created,
                "draft": bool(definition.draft),
                "findings": [finding.as_dict() for finding in deployed.findings],
            }
        )
    return results
