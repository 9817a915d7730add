"""``retention``: archive and purge closed cases past their retention period, or anonymise them in place."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from config.audit import load_audit_settings
from engine import EngineError
from engine.audit import anonymisation, retention

from .common import current_engine, echo, echo_line, fail

group = AppGroup("retention", help="Archive and purge, or anonymise, closed cases past their period.")


@group.command("run")
@click.option("--dry-run", is_flag=True, help="only list what would be archived")
@click.option("--limit", default=1000, show_default=True, help="at most this many cases in one archive file")
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="where to write the archive (default: ONESTOP_ARCHIVE_FOLDER)",
)
@click.option("--actor", default="cli", show_default=True)
def retention_run(dry_run: bool, limit: int, folder: Path | None, actor: str) -> None:
    """Archive closed cases past their retention period to a JSON-lines file, then purge them."""
    settings = load_audit_settings()
    try:
        policy = retention.RetentionPolicy.parse(settings.retention_days, settings.retention_by_procedure)
        run = retention.archive_and_purge(
            current_engine(), policy, folder or Path(settings.archive_folder), actor=actor, limit=limit, dry_run=dry_run
        )
    except EngineError as error:
        fail(error)
    echo(run.as_dict())


@group.command("anonymise")
@click.option("--apply", is_flag=True, help="anonymise the cases (without it: only list what would be removed)")
@click.option("--days", type=int, help="closed longer ago than this many days (default: ONESTOP_ANONYMISE_DAYS)")
@click.option("--limit", default=1000, show_default=True, help="at most this many cases in one run")
@click.option("--keep", multiple=True, help="another payload key to keep (repeatable; the structural keys always stay)")
@click.option("--actor", default="cli", show_default=True)
def retention_anonymise(apply: bool, days: int | None, limit: int, keep: tuple[str, ...], actor: str) -> None:
    """Remove the personal values of closed cases past their period, in place; proofs stay valid.

    Without --apply, lists the cases and the payload keys that would be removed. Cases whose
    events predate hash version 2 are refused (named, with the reason) and left whole."""
    settings = load_audit_settings()
    try:
        policy = retention.RetentionPolicy.parse(
            str(days) if days is not None else settings.anonymise_days, settings.anonymise_by_procedure
        )
        run = anonymisation.anonymise(
            current_engine(),
            policy,
            actor=actor,
            limit=limit,
            apply=apply,
            keep=anonymisation.STRUCTURAL_KEYS | set(keep),
        )
    except EngineError as error:
        fail(error)
    echo(run.as_dict())
    if run.failed:
        sys.exit(1)


@group.command("verify-archive")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def retention_verify_archive(archive: Path) -> None:
    """Re-verify the cases in an archive file (chains, replay, recorded hash); exit 1 if any fails."""
    results = retention.verify_archive(current_engine(), archive)
    for result in results:
        echo_line(result)
    sys.exit(0 if all(result["ok"] for result in results) else 1)
