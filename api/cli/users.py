"""``users``: create users with roles and groups; the demo users of development."""

from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from engine import EngineError, accounts
from engine.storage import User

from .common import current_engine, echo, fail

group = AppGroup("users", help="Create users with roles and groups.")


@group.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(accounts.ROLES))
@click.option("--group", "groups", multiple=True, help="a BPMN lane this user works, e.g. Clerk")
@click.option("--password", help="for password login; omit for token-only users")
@click.option("--name", "display_name")
@click.option("--phone", help="a direct line, shown to applicants of the cases the user is responsible for")
@click.option(
    "--office", "works_for", multiple=True, help="an office the user works for ('*': every office; needed with several)"
)
def users_create(username, roles, groups, password, display_name, phone, works_for) -> None:
    engine = current_engine()
    try:
        with engine.write() as session:
            user = accounts.create_user(
                session,
                username,
                roles=list(roles),
                groups=list(groups),
                password=password,
                display_name=display_name,
                phone=phone,
                offices=list(works_for),
                now=engine.clock.now(),
            )
            echo({"username": user.username, "roles": user.roles, "groups": user.groups, "offices": user.offices})
    except EngineError as error:
        fail(error)


DEMO_USERS = {
    # username: (roles, groups, display name, direct line)
    "clerk": (["clerk"], ["Clerk"], "陳怡君", "(02) 2700-1234 #121"),
    "clerk2": (["clerk"], ["Clerk"], "林志明", "(02) 2700-1234 #122"),
    "supervisor": (["supervisor"], ["Supervisor", "Clerk"], "王美玲", "(02) 2700-1234 #101"),
    "auditor": (["auditor"], [], None, None),
    "designer": (["designer"], [], None, None),
    "admin": (["admin"], [], None, None),
}


@group.command("ensure-demo")
def users_ensure_demo() -> None:
    """Create one demo user per role (development only); the password is $ONESTOP_DEMO_PASSWORD."""

    if current_app.config["ONESTOP_SETTINGS"].environment == "production":
        raise click.UsageError("demo users are not created in production")
    password = os.environ.get("ONESTOP_DEMO_PASSWORD", "onestop-demo")
    engine = current_engine()
    with engine.write() as session:
        for username, (roles, groups, display_name, phone) in DEMO_USERS.items():
            if session.scalar(select(User.id).where(User.username == username)) is None:
                accounts.create_user(
                    session,
                    username,
                    roles=roles,
                    groups=groups,
                    password=password,
                    display_name=display_name,
                    phone=phone,
                    offices=["*"],  # the demo sees every office there is
                    now=engine.clock.now(),
                )
    click.echo(f"demo users {', '.join(DEMO_USERS)} (password from ONESTOP_DEMO_PASSWORD, default 'onestop-demo')")
