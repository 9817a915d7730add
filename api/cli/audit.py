"""``audit``: verify the event log, sign and witness its daily roots, hand out proofs. Exit 1 when
what a check checks does not hold (docs/integrity.md)."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

import click
from flask.cli import AppGroup

from config.audit import load_audit_settings
from engine import EngineError
from engine.audit import anchoring, generate_private_pem, integrity, proofs, public_keys_document, signing

from .. import signing as keys_from_settings
from .common import current_engine, echo, echo_line, fail, office_zone, resolve_case

group = AppGroup("audit", help="Verify the event log, sign and witness its daily roots, hand out proofs.")
DAY = click.DateTime(formats=["%Y-%m-%d"])


def _write(document, output: Path | None) -> None:
    """One JSON document to ``output`` (or standard output)."""
    text = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(str(output), err=True)


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
@click.option("--day", type=DAY, help="the day to anchor (default: yesterday)")
@click.option("--missing", is_flag=True, help="anchor every day after the last anchored one, up to yesterday")
@click.option("--actor", default="cli", show_default=True)
def audit_anchor(day: datetime | None, missing: bool, actor: str) -> None:
    """Sign the day's Merkle root of the chain heads with the office's key, and have it
    timestamped when ONESTOP_TSA_URL is set (run it daily, after midnight, with --missing)."""
    engine, zone, settings = current_engine(), office_zone(), load_audit_settings()
    yesterday = engine.clock.now().astimezone(zone).date() - timedelta(days=1)
    options = {
        "signer": keys_from_settings.signer(settings),
        "actor": actor,
        "zone": zone,
        "hmac_key": settings.anchor_key,
        "timestamper": keys_from_settings.timestamper(settings),
    }
    try:
        if missing:
            anchored = anchoring.anchor_missing(engine, **options)
        else:
            anchored = [anchoring.anchor_day(engine, day.date() if day else yesterday, **options)]
    except EngineError as error:
        fail(error)
    for item in anchored:
        echo_line(item)


@group.command("timestamp")
def audit_timestamp() -> None:
    """Ask the timestamp authority (ONESTOP_TSA_URL) again for every signed day it has not stamped."""
    stamper = keys_from_settings.timestamper()
    if stamper is None:
        raise click.UsageError("no timestamp authority is configured (ONESTOP_TSA_URL)")
    for item in anchoring.timestamp_missing(current_engine(), stamper):
        echo_line(item)


@group.command("verify-anchors")
@click.option("--since", type=DAY)
@click.option("--witnessed", multiple=True, type=click.Path(exists=True, dir_okay=False), help="a monthly roots file")
def audit_verify_anchors(since: datetime | None, witnessed: tuple[str, ...]) -> None:
    """Check the anchors: trees, signatures, timestamps, the log under them and, with --witnessed,
    the roots the bureau keeps; exit 1 if anything does not hold."""
    settings = load_audit_settings()
    try:
        result = anchoring.verify_anchors(
            current_engine(),
            hmac_key=settings.anchor_key,
            since=since.date() if since else None,
            witnessed=keys_from_settings.witnessed_roots(list(witnessed)),
            tsa_certificates=keys_from_settings.tsa_certificates(settings),
        )
    except EngineError as error:
        fail(error)
    echo(result)
    sys.exit(0 if result["ok"] else 1)


@group.command("proof")
@click.argument("case")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="write to this file")
def audit_proof(case: str, output: Path | None) -> None:
    """A case's history with its inclusion proofs, for ``python -m verifier case``."""
    try:
        _write(proofs.case_proof(current_engine(), resolve_case(case), office_zone()), output)
    except EngineError as error:
        fail(error)


@group.command("roots-file")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path))
def audit_roots_file(month: str, output: Path | None) -> None:
    """The month's signed roots, signed as a file, for the bureau to keep."""
    try:
        _write(proofs.witnessed_file(current_engine(), month, keys_from_settings.signer()), output)
    except EngineError as error:
        fail(error)


@group.command("consistency")
@click.option("--from", "old_days", type=int, required=True, help="size of the earlier tree over days")
@click.option("--to", "new_days", type=int, help="size of the later one (default: now)")
def audit_consistency(old_days: int, new_days: int | None) -> None:
    """The proof that the tree over days grew only by appending days."""
    try:
        echo(proofs.consistency(current_engine(), old_days, new_days))
    except EngineError as error:
        fail(error)


@group.command("export-office")
@click.option("--from", "since", type=DAY, required=True)
@click.option("--until", type=DAY, required=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def audit_export_office(since: datetime, until: datetime, output: Path) -> None:
    """Every signed day of the period with its heads, and every case history in them, for
    ``python -m verifier office`` (the annual review)."""
    with open(output, "w", encoding="utf-8") as handle:
        for piece in proofs.office_export(current_engine(), since.date(), until.date(), office_zone()):
            handle.write(piece)
    click.echo(str(output), err=True)


# ---------------------------------------------------------------------- keys
keys = AppGroup("keys", help="The office's Ed25519 signing keys: generate, activate (rotate), list.")
group.add_command(keys)


@keys.command("generate")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def keys_generate(path: Path) -> None:
    """Write a new private key to PATH (mode 0600; never to the database) and print its public key."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(generate_private_pem())
    signer = signing.Signer.from_pem(path.read_bytes())
    echo({"file": str(path), "key_id": signer.key_id, "public_key": signing.b64(signer.public_key)})


@keys.command("activate")
@click.option("--from", "valid_from", type=DAY, help="first day it signs (default: after the last signed day)")
@click.option("--actor", default="cli", show_default=True)
def keys_activate(valid_from: datetime | None, actor: str) -> None:
    """Record the configured key (ONESTOP_SIGNING_KEY_FILE) as the office's key from a day on; the
    key in use until then stays valid for the days it signed (rotation)."""
    try:
        signer = signing.require_signer(keys_from_settings.signer())
        echo(
            signing.activate(
                current_engine(), signer, actor=actor, valid_from=valid_from.date() if valid_from else None
            )
        )
    except EngineError as error:
        fail(error)


@keys.command("list")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path))
def keys_list(output: Path | None) -> None:
    """The public keys document the office publishes (for the bureau and the annual report)."""
    with current_engine().read() as session:
        _write(public_keys_document(session), output)
