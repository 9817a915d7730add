"""Designer commands: ``flask --app api definitions lint FOLDER`` (and the version tools).

Added to the ``definitions`` group of ``api.cli``; every command prints JSON.
"""
from __future__ import annotations

from pathlib import Path

import click

from engine.bpmn_diff import diff_versions
from engine.definitions import files_from_folder
from engine.errors import EngineError
from engine.lint import lint_bundle

from .cli import _echo, _engine, _fail, definitions_cli


def _procedure_folders(folder: Path) -> list[Path]:
    """The folder itself if it holds BPMN files, else each procedure folder inside it."""
    if any(folder.glob("*.bpmn")):
        return [folder]
    return sorted(path for path in folder.iterdir() if path.is_dir())


@definitions_cli.command("lint")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="exit with status 1 when there is any finding")
def definitions_lint(folder: Path, strict: bool) -> None:
    """Validate and lint a procedure folder (or a folder of procedure folders) without deploying."""
    results, any_finding = [], False
    for procedure in _procedure_folders(folder):
        files = files_from_folder(procedure)
        bundle = _engine().catalog.validate(files)
        findings = [*bundle.findings, *lint_bundle(files)]
        any_finding |= bool(findings)
        results.append({"folder": str(procedure), "verdict": bundle.verdict,
                        "findings": [finding.as_dict() for finding in findings]})
    _echo(results)
    if strict and any_finding or any(result["verdict"] == "rejected" for result in results):
        raise SystemExit(1)


@definitions_cli.command("diff")
@click.argument("key")
@click.option("--from", "from_version", type=int, required=True, help="the older version")
@click.option("--to", "to_version", type=int, required=True, help="the newer version")
def definitions_diff(key: str, from_version: int, to_version: int) -> None:
    """Elements added, removed and changed between two deployed versions of a procedure."""
    try:
        with _engine().read() as session:
            _echo(diff_versions(session, key, from_version, to_version))
    except EngineError as error:
        _fail(error)
