"""Sign-in throttling: failed sign-ins count per username and per client address (Flask-Limiter);
past a limit every sign-in for that username or address is refused with 429 and Retry-After,
the right password included, and the longer tiers make the wait longer."""

from __future__ import annotations

import pytest

from api import create_app
from engine import accounts

PASSWORD = "correct horse battery staple"


@pytest.fixture
def users(engine):
    with engine.write() as session:
        for name in ("alice", "bob"):
            accounts.create_user(
                session, name, roles=["clerk"], groups=["Clerk"], password=PASSWORD, now=engine.clock.now()
            )


def sign_in(client, username: str, password: str, address: str = "192.0.2.10"):
    return client.post(
        "/api/auth/token", json={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def limited_app(settings, engine, **limits):
    return create_app(settings.with_overrides(**limits), engine=engine).test_client()


def test_failures_for_one_username_lock_it_from_every_address(settings, engine, users):
    client = limited_app(settings, engine, login_limits_per_user="3 per minute", login_limits_per_address="50 per hour")
    for attempt in range(3):
        assert sign_in(client, "alice", "wrong", address=f"192.0.2.{attempt}").status_code == 401
    refused = sign_in(client, "alice", PASSWORD, address="198.51.100.7")  # right password, new address
    assert refused.status_code == 429
    assert refused.content_type == "application/problem+json"
    assert refused.json["type"].endswith("/too-many-requests")
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert sign_in(client, "bob", PASSWORD, address="198.51.100.7").status_code == 201  # others sign in


def test_failures_from_one_address_lock_it_for_every_username(settings, engine, users):
    client = limited_app(settings, engine, login_limits_per_user="50 per hour", login_limits_per_address="4 per minute")
    for name in ("alice", "bob", "carol", "dave"):
        assert sign_in(client, name, "wrong", address="203.0.113.9").status_code == 401
    assert sign_in(client, "alice", PASSWORD, address="203.0.113.9").status_code == 429
    assert sign_in(client, "alice", PASSWORD, address="203.0.113.10").status_code == 201


def test_successful_sign_ins_do_not_count(settings, engine, users):
    client = limited_app(
        settings, engine, login_limits_per_user="2 per minute", login_limits_per_address="2 per minute"
    )
    for _ in range(5):
        assert sign_in(client, "alice", PASSWORD).status_code == 201


def test_the_longer_tiers_back_off_longer(settings, engine, users):
    """After the minute's allowance the wait is under a minute; after the hour's, about an hour."""
    client = limited_app(
        settings, engine, login_limits_per_user="3 per minute; 4 per hour", login_limits_per_address="50 per hour"
    )
    for attempt in range(3):
        sign_in(client, "alice", "wrong", address=f"192.0.2.{attempt}")
    assert int(sign_in(client, "alice", "wrong").headers["Retry-After"]) <= 60
    hourly = limited_app(
        settings, engine, login_limits_per_user="30 per minute; 4 per hour", login_limits_per_address="50 per hour"
    )
    for attempt in range(4):
        sign_in(hourly, "bob", "wrong", address=f"192.0.2.{attempt}")
    assert int(sign_in(hourly, "bob", PASSWORD).headers["Retry-After"]) > 60 * 50


def test_the_defaults_throttle_a_password_guesser(settings, engine, users):
    client = create_app(settings, engine=engine).test_client()
    answers = [sign_in(client, "alice", f"guess {n}").status_code for n in range(8)]
    assert answers[:5] == [401] * 5 and set(answers[5:]) == {429}


def test_a_body_too_deep_to_parse_is_answered_not_crashed(settings, engine, users):
    client = create_app(settings, engine=engine).test_client()
    deep = b'{"username": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    answer = client.post("/api/auth/token", data=deep, content_type="application/json")
    assert 400 <= answer.status_code < 500 and answer.content_type == "application/problem+json"
