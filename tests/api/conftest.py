"""API fixtures: the app on the test database, users of every role, and their tokens."""
from __future__ import annotations

import pytest

from api import create_app
from engine import accounts

USERS = {
    # username: (roles, groups)
    "clerk": (["clerk"], ["Clerk"]),
    "clerk2": (["clerk"], ["Clerk"]),
    "supervisor": (["supervisor"], ["Supervisor", "Clerk"]),
    "auditor": (["auditor"], []),
    "designer": (["designer"], []),
    "admin": (["admin"], []),
}
PASSWORD = "correct horse battery staple"


@pytest.fixture
def app(settings, engine):
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(engine):
    issued = {}
    with engine.write() as session:
        for username, (roles, groups) in USERS.items():
            user = accounts.create_user(session, username, roles=roles, groups=groups, password=PASSWORD,
                                        now=engine.clock.now())
            issued[username], _ = accounts.issue_token(session, user, now=engine.clock.now())
    return issued


@pytest.fixture
def as_user(tokens):
    def headers(username: str, **extra) -> dict:
        return {"Authorization": f"Bearer {tokens[username]}", **extra}

    return headers
