"""``tokens``: issue and revoke bearer tokens."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import select

from engine import EngineError, NotFound, accounts
from engine.storage import User

from .common import current_engine, echo, fail

group = AppGroup("tokens", help="Issue and revoke bearer tokens.")


@group.command("issue")
@click.argument("username")
@click.option("--label", default="cli")
@click.option("--days", default=1, show_default=True, help="lifetime in days; 0 for no expiry")
def tokens_issue(username, label, days) -> None:
    """Print a new bearer token for USERNAME (shown once; only its hash is stored)."""

    engine = current_engine()
    with engine.write() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            fail(NotFound(f"User {username} does not exist"))
        token, row = accounts.issue_token(
            session, user, now=engine.clock.now(), label=label, lifetime=timedelta(days=days) if days else None
        )
        echo({"token": token, "expires_at": row.expires_at})


@group.command("revoke")
@click.argument("username")
def tokens_revoke(username) -> None:
    """Revoke every token of USERNAME."""
    engine = current_engine()
    try:
        with engine.write() as session:
            echo({"revoked": accounts.revoke_user_tokens(session, username, now=engine.clock.now())})
    except EngineError as error:
        fail(error)
