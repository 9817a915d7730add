"""``definitions``: deploy and list procedures, and the designer's tools: ``lint FOLDER``,
``diff KEY --from --to``, ``dry-run KEY VERSION --sample FILE``, ``move-preview KEY --from --to``
and ``move-cases KEY --from --to --reason [--case ID]...``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from engine import EngineError, InvalidInput, files_from_folder
from engine import commands as cmd
from engine.definitions import (
    DEFAULT_MAX_STEPS,
    diff_versions,
    dry_run,
    lint_bundle,
    synchronous_script_engine,
    wall_clock_now,
)
from engine.storage import queries

from .common import current_engine, deploy_folder, echo, fail, json_option

group = AppGroup("definitions", help="Deploy and list procedure definitions; lint, diff, dry-run and move cases.")


@group.command("deploy")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def definitions_deploy(folder: Path) -> None:
    """Deploy a procedure folder (or a folder of procedure folders)."""
    try:
        echo(deploy_folder(current_engine(), folder))
    except EngineError as error:
        fail(error)


@group.command("list")
def definitions_list() -> None:
    with current_engine().read() as session:
        echo(
            [
                {"key": d.process_key, "version": d.version, "name": d.name, "deployed_at": d.deployed_at}
                for d in queries.list_definitions(session)
            ]
        )


def _procedure_folders(folder: Path) -> list[Path]:
    """The folder itself if it holds BPMN files, else each procedure folder inside it."""
    if any(folder.glob("*.bpmn")):
        return [folder]
    return sorted(path for path in folder.iterdir() if path.is_dir())


@group.command("lint")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="exit with status 1 when there is any finding")
def definitions_lint(folder: Path, strict: bool) -> None:
    """Validate and lint a procedure folder (or a folder of procedure folders) without deploying."""
    results, any_finding = [], False
    for procedure in _procedure_folders(folder):
        files = files_from_folder(procedure)
        bundle = current_engine().check_upload(files)
        findings = [*bundle.findings, *lint_bundle(files)]
        any_finding |= bool(findings)
        results.append(
            {
                "folder": str(procedure),
                "verdict": bundle.verdict,
                "findings": [finding.as_dict() for finding in findings],
            }
        )
    echo(results)
    if strict and any_finding or any(result["verdict"] == "rejected" for result in results):
        raise SystemExit(1)


@group.command("diff")
@click.argument("key")
@click.option("--from", "from_version", type=int, required=True, help="the older version")
@click.option("--to", "to_version", type=int, required=True, help="the newer version")
def definitions_diff(key: str, from_version: int, to_version: int) -> None:
    """Elements added, removed and changed between two deployed versions of a procedure."""
    try:
        with current_engine().read() as session:
            echo(diff_versions(session, key, from_version, to_version))
    except EngineError as error:
        fail(error)


@group.command("dry-run")
@click.argument("key")
@click.argument("version", type=int)
@click.option(
    "--sample",
    "sample_file",
    type=click.File("r", encoding="utf-8"),
    help='JSON file: {"data": {...}, "tasks": {task id: form data}, "services": {operation: answer}}',
)
@click.option("--max-steps", default=DEFAULT_MAX_STEPS, show_default=True, type=click.IntRange(1, 1000))
def definitions_dry_run(key: str, version: int, sample_file, max_steps: int) -> None:
    """Walk a deployed version with sample data and print the path (no case, no service call)."""
    sample = json_option(sample_file.read(), "--sample") if sample_file else {}
    if not isinstance(sample, dict):
        raise click.BadParameter("must hold a JSON object", param_hint="--sample")
    engine = current_engine()
    try:
        with engine.read() as session:
            definition = queries.definition_version(session, key, version)
            if definition.draft:
                raise InvalidInput(f"Version {version} of {key} is a draft: it cannot run.")
            parsed = engine.deployments.get(session, definition.id)
        scripts = synchronous_script_engine(engine.script_functions, engine.script_timeout_seconds, engine.step_limit)
        due_at = engine.catalogue.due_at(parsed.process_key, wall_clock_now())
        result = dry_run(
            parsed,
            scripts,
            sample.get("data") or {},
            tasks=sample.get("tasks"),
            services=sample.get("services"),
            max_steps=max_steps,
            due_at=due_at,
        )
    except EngineError as error:
        fail(error)
    echo(result.as_dict())


@group.command("move-preview")
@click.argument("key")
@click.option("--from", "from_version", type=int, required=True, help="the version the cases run on")
@click.option("--to", "to_version", type=int, required=True, help="the version they would move to")
def definitions_move_preview(key: str, from_version: int, to_version: int) -> None:
    """Which running cases could move to another version, and which elements block the others."""
    engine = current_engine()
    try:
        echo(engine.preview_move(key, from_version, to_version))
    except EngineError as error:
        fail(error)


@group.command("move-cases")
@click.argument("key")
@click.option("--from", "from_version", type=int, required=True, help="the version the cases run on")
@click.option("--to", "to_version", type=int, required=True, help="the newer version to move them to")
@click.option("--reason", required=True, help="why the cases move (recorded on each case)")
@click.option("--case", "case_ids", multiple=True, help="a case to move (repeatable); all that can move if left out")
@click.option("--actor", default="cli", show_default=True)
def definitions_move_cases(
    key: str, from_version: int, to_version: int, reason: str, case_ids: tuple[str, ...], actor: str
) -> None:
    """Move running cases to a newer version; prints each case as moved, blocked or failed."""
    try:
        outcomes = current_engine().handle(
            cmd.MoveCases(key, from_version, to_version, reason, actor=actor, case_ids=case_ids or None)
        )
    except EngineError as error:
        fail(error)
    echo(
        {
            "key": key,
            "from": from_version,
            "to": to_version,
            "cases": [
                {"case_id": o.case_id, "outcome": o.outcome, "reason": o.reason, "blocked_by": list(o.blocked_by)}
                for o in outcomes
            ],
        }
    )
