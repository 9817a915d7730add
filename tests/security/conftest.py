"""Fixtures of the security suite: the app on the test database and staff of every role, each
with a token (the API tests' fixtures: app, client, call, serve...)."""

from __future__ import annotations

import pytest

from tests.api.conftest import (  # noqa: F401  (fixtures, registered by name)
    _create_users,
    app,
    call,
    client,
    http,
    log_lines,
    serve,
    served,
)

STAFF = {
    # username: (roles, groups)
    "clerk": (["clerk"], ["Clerk"]),  # works the transcript's lane
    "records_clerk": (["clerk"], ["Records"]),  # a clerk of another group
    "groupless_clerk": (["clerk"], []),
    "supervisor": (["supervisor"], ["Clerk", "Supervisor"]),
    "other_supervisor": (["supervisor"], ["Surveyor"]),  # supervises a group with no work in the case
    "auditor": (["auditor"], []),
    "admin": (["admin"], []),
    "designer": (["designer"], []),
    "operator": (["operator"], []),
}


@pytest.fixture
def tokens(engine):
    return _create_users(engine, STAFF)
