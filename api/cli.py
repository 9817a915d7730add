"""Command-line interface through Flask's click integration: ``flask --app api <group> <command>``.

Every command prints JSON (one object, or one per line for lists) so it can be piped into jq.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from engine import EngineError, NotFound, accounts, files_from_folder
from engine import commands as cmd
from engine.storage import queries, upgrade

db_cli = AppGroup("db", help="Create or upgrade the database.")
definitions_cli = AppGroup("definitions", help="Deploy and list procedure definitions.")
cases_cli = AppGroup("cases", help="Start, inspect and verify cases.")
tasks_cli = AppGroup("tasks", help="List and complete tasks.")
users_cli = AppGroup("users", help="Create users with roles and groups.")
tokens_cli = AppGroup("tokens", help="Issue and revoke bearer tokens.")


def _engine():
    return current_app.extensions["onestop_engine"]


def _echo(value) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, default=str, indent=2))


def _fail(error: EngineError) -> None:
    click.echo(json.dumps({"error": error.kind, "message": error.message, **error.details},
                          ensure_ascii=False, default=str, indent=2), err=True)
    sys.exit(1)


def _json_option(value: str | None, name: str):
    if not value:
        return {}
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"not valid JSON: {error}", param_hint=name) from None


def _case_id(reference: str) -> str:
    """Accept a case id or a case number."""
    with _engine().read() as session:
        try:
            return queries.get_case(session, reference).id
        except NotFound:
            return queries.get_case_by_number(session, reference).id


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations to the configured database."""
    upgrade(_engine().database_url)
    click.echo("database is up to date")


def deploy_folder(engine, folder: Path, actor: str = "cli") -> list[dict]:
    """Deploy one procedure folder, or each procedure folder inside ``folder``."""
    procedure_folders = [folder] if any(folder.glob("*.bpmn")) else sorted(p for p in folder.iterdir() if p.is_dir())
    results = []
    for procedure in procedure_folders:
        deployed = engine.handle(cmd.DeployDefinition(files_from_folder(procedure), actor=actor))
        definition = deployed.definition
        results.append({"folder": str(procedure), "key": definition.process_key, "version": definition.version,
                        "created": deployed.created, "draft": bool(definition.draft),
                        "findings": [finding.as_dict() for finding in deployed.findings]})
    return results


@definitions_cli.command("deploy")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def definitions_deploy(folder: Path) -> None:
    """Deploy a procedure folder (or a folder of procedure folders)."""
    try:
        _echo(deploy_folder(_engine(), folder))
    except EngineError as error:
        _fail(error)


@definitions_cli.command("list")
def definitions_list() -> None:
    with _engine().read() as session:
        _echo([{"key": d.process_key, "version": d.version, "name": d.name, "deployed_at": d.deployed_at}
               for d in queries.list_definitions(session)])


@cases_cli.command("start")
@click.argument("procedure")
@click.option("--data", help="initial case data as JSON")
@click.option("--channel", default="counter", show_default=True)
@click.option("--actor", default="cli", show_default=True)
def cases_start(procedure: str, data: str | None, channel: str, actor: str) -> None:
    try:
        started = _engine().handle(cmd.StartCase(procedure, _json_option(data, "--data"), channel, actor=actor))
    except EngineError as error:
        _fail(error)
    _echo(started.__dict__)


@cases_cli.command("history")
@click.argument("case")
def cases_history(case: str) -> None:
    """Print a case's events in order."""
    try:
        case_id = _case_id(case)
    except EngineError as error:
        _fail(error)
    with _engine().read() as session:
        for event in queries.case_events(session, case_id):
            click.echo(json.dumps({"seq": event.seq, "type": event.type, "at": event.occurred_at, "actor": event.actor,
                                   "element": event.element_id, "payload": event.payload, "hash": event.hash},
                                  ensure_ascii=False, default=str))


@cases_cli.command("state")
@click.argument("case")
@click.option("--at", "at_seq", type=int, help="the state after this event (by replay)")
def cases_state(case: str, at_seq: int | None) -> None:
    try:
        _echo(_engine().case_state(_case_id(case), at_seq))
    except EngineError as error:
        _fail(error)


@cases_cli.command("verify")
@click.argument("case", required=False)
@click.option("--all", "all_cases", is_flag=True, help="verify every case")
def cases_verify(case: str | None, all_cases: bool) -> None:
    """Check the hash chain and replay; exit 1 if any case fails."""
    engine = _engine()
    if not case and not all_cases:
        raise click.UsageError("give a case id or number, or --all")
    try:
        results = engine.verify_all() if all_cases else [engine.verify_case(_case_id(case))]
        failed = 0
        for result in results:
            failed += not result.ok
            click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    except EngineError as error:
        _fail(error)
    sys.exit(1 if failed else 0)


@tasks_cli.command("list")
@click.option("--group", "groups", multiple=True, help="only tasks of these lanes")
@click.option("--limit", default=50, show_default=True)
def tasks_list(groups: tuple[str, ...], limit: int) -> None:
    with _engine().read() as session:
        rows, total = queries.list_tasks(session, queries.TaskFilter(groups=groups or None, limit=limit))
        _echo({"total": total, "tasks": [
            {"id": t.id, "case": number, "procedure": procedure, "element_id": t.element_id, "name": t.name,
             "lane": t.lane, "status": t.status, "assignee": t.assignee, "form_key": t.form_key,
             "created_at": t.created_at, "due_at": t.due_at} for t, number, procedure in rows]})


@tasks_cli.command("complete")
@click.argument("task_id")
@click.option("--data", help="form data as JSON")
@click.option("--actor", default="cli", show_default=True)
def tasks_complete(task_id: str, data: str | None, actor: str) -> None:
    try:
        changed = _engine().handle(cmd.CompleteTask(task_id, actor, _json_option(data, "--data")))
    except EngineError as error:
        _fail(error)
    _echo(changed.__dict__)


@users_cli.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(accounts.ROLES))
@click.option("--group", "groups", multiple=True, help="a BPMN lane this user works, e.g. Clerk")
@click.option("--password", help="for password login; omit for token-only users")
@click.option("--name", "display_name")
def users_create(username, roles, groups, password, display_name) -> None:
    engine = _engine()
    try:
        with engine.write() as session:
            user = accounts.create_user(session, username, roles=list(roles), groups=list(groups), password=password,
                                        display_name=display_name, now=engine.clock.now())
            _echo({"username": user.username, "roles": user.roles, "groups": user.groups})
    except EngineError as error:
        _fail(error)


DEMO_USERS = {
    "clerk": (["clerk"], ["Clerk"]),
    "supervisor": (["supervisor"], ["Supervisor", "Clerk"]),
    "auditor": (["auditor"], []),
    "designer": (["designer"], []),
    "admin": (["admin"], []),
}


@users_cli.command("ensure-demo")
def users_ensure_demo() -> None:
    """Create one demo user per role (development only); the password is $ONESTOP_DEMO_PASSWORD."""
    import os

    from sqlalchemy import select

    from engine.storage import User

    if current_app.config["ONESTOP_SETTINGS"].environment == "production":
        raise click.UsageError("demo users are not created in production")
    password = os.environ.get("ONESTOP_DEMO_PASSWORD", "onestop-demo")
    engine = _engine()
    with engine.write() as session:
        for username, (roles, groups) in DEMO_USERS.items():
            if session.scalar(select(User.id).where(User.username == username)) is None:
                accounts.create_user(session, username, roles=roles, groups=groups, password=password,
                                     now=engine.clock.now())
    click.echo(f"demo users {', '.join(DEMO_USERS)} (password from ONESTOP_DEMO_PASSWORD, default 'onestop-demo')")


@tokens_cli.command("issue")
@click.argument("username")
@click.option("--label", default="cli")
@click.option("--days", default=1, show_default=True, help="lifetime in days; 0 for no expiry")
def tokens_issue(username, label, days) -> None:
    """Print a new bearer token for USERNAME (shown once; only its hash is stored)."""
    from datetime import timedelta

    from sqlalchemy import select

    from engine.storage import User

    engine = _engine()
    with engine.write() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            _fail(NotFound(f"User {username} does not exist"))
        token, row = accounts.issue_token(session, user, now=engine.clock.now(), label=label,
                                          lifetime=timedelta(days=days) if days else None)
        _echo({"token": token, "expires_at": row.expires_at})


@tokens_cli.command("revoke")
@click.argument("username")
def tokens_revoke(username) -> None:
    """Revoke every token of USERNAME."""
    engine = _engine()
    try:
        with engine.write() as session:
            _echo({"revoked": accounts.revoke_user_tokens(session, username, now=engine.clock.now())})
    except EngineError as error:
        _fail(error)


def register_cli(app: Flask) -> None:
    for group in (db_cli, definitions_cli, cases_cli, tasks_cli, users_cli, tokens_cli):
        app.cli.add_command(group)
    from .cli_audit import register_audit_cli  # imported here: it adds to this module's groups

    register_audit_cli(app)
    from .cli_simulation import register_simulation_cli

    register_simulation_cli(app)
    from . import cli_designer  # noqa: F401 - adds the designer commands to the definitions group
