"""Behind trusted reverse proxies (ONESTOP_TRUSTED_PROXIES) the throttles count the real client
from X-Forwarded-For; with none declared, a client cannot dodge them by forging the header."""

from __future__ import annotations

import pytest

from api import create_app
from engine import accounts


@pytest.fixture
def alice(engine):
    with engine.write() as session:
        accounts.create_user(session, "alice", roles=["clerk"], password="right", now=engine.clock.now())


def guess(client, forwarded_for: str, username: str = "alice", password: str = "wrong"):
    return client.post(
        "/api/auth/token",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},  # the proxy, as the server sees the connection
    )


def throttled(settings, engine, **overrides):
    """The app with room for two failed sign-ins per address (and plenty per username)."""
    limits = {"login_limits_per_address": "2 per minute", "login_limits_per_user": "50 per minute"}
    return create_app(settings.with_overrides(**limits, **overrides), engine=engine).test_client()


def test_behind_a_trusted_proxy_each_client_is_counted_apart(settings, engine, alice):
    client = throttled(settings, engine, trusted_proxies=1)
    assert [guess(client, "198.51.100.1", name).status_code for name in ("a", "b")] == [401, 401]
    assert guess(client, "198.51.100.1", "alice", "right").status_code == 429  # that client is throttled
    assert guess(client, "198.51.100.2", "alice", "right").status_code == 201  # another client is not


def test_without_trusted_proxies_a_forged_header_changes_nothing(settings, engine, alice):
    client = throttled(settings, engine)
    assert [guess(client, f"198.51.100.{n}", name).status_code for n, name in ((1, "a"), (2, "b"))] == [401, 401]
    assert guess(client, "198.51.100.3", "alice", "right").status_code == 429  # counted by the connection


def test_only_as_many_hops_as_declared_are_believed(settings, engine, alice):
    """With one trusted proxy, the address the client itself put in front is not believed."""
    client = throttled(settings, engine, trusted_proxies=1)
    assert guess(client, "1.1.1.1, 198.51.100.9", "a").status_code == 401
    assert guess(client, "2.2.2.2, 198.51.100.9", "b").status_code == 401
    assert guess(client, "3.3.3.3, 198.51.100.9", "alice", "right").status_code == 429
