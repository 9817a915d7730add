"""Passwords: scrypt at OWASP's parameters (N=2^17, r=8, p=1), older hashes upgraded at the next
sign-in, and a sign-in for an unknown user costing the same scrypt as for a known one."""

from __future__ import annotations

import base64
import hashlib
import secrets

import pytest
from sqlalchemy import select

from config import Settings, load_settings
from engine import accounts
from engine.storage import User


@pytest.fixture
def count_scrypt(monkeypatch):
    """Every scrypt computation accounts makes, with its cost (the cause of the time it takes)."""
    calls = []
    real = accounts._scrypt

    def counted(password, salt, cost):
        calls.append(cost)
        return real(password, salt, cost)

    monkeypatch.setattr(accounts, "_scrypt", counted)
    return calls


def legacy_hash(password: str) -> str:
    """A hash as stored before the parameters were kept with it (N=2^14, r=8, p=1)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def test_new_hashes_use_owasps_parameters():
    assert Settings().scrypt_cost == 2**17 and load_settings({}).scrypt_cost == 2**17
    stored = accounts.hash_password("s3cret", accounts.ScryptCost())
    assert stored.startswith("scrypt$ln=17,r=8,p=1$")
    accounts.use_scrypt_cost(2**17)
    try:
        assert accounts.password_matches(stored, "s3cret") and not accounts.password_matches(stored, "other")
        assert not accounts.needs_rehash(stored)
    finally:
        accounts.use_scrypt_cost(2**14)


def test_an_older_hash_is_upgraded_at_sign_in(call, engine, tokens):
    with engine.write() as session:
        accounts.create_user(session, "veteran", roles=["clerk"], now=engine.clock.now())
        session.scalar(select(User).where(User.username == "veteran")).password_hash = legacy_hash("old but good")
    accounts.use_scrypt_cost(2**15)  # today's cost above the stored one
    try:
        assert call("POST", "/api/auth/token", json={"username": "veteran", "password": "wrong"}).status == 401
        with engine.read() as session:  # a wrong password changes nothing
            assert session.scalar(select(User.password_hash).where(User.username == "veteran")).count("$") == 2
        assert call("POST", "/api/auth/token", json={"username": "veteran", "password": "old but good"}).status == 201
        with engine.read() as session:
            upgraded = session.scalar(select(User.password_hash).where(User.username == "veteran"))
        assert upgraded.startswith("scrypt$ln=15,r=8,p=1$")
        assert call("POST", "/api/auth/token", json={"username": "veteran", "password": "old but good"}).status == 201
    finally:
        accounts.use_scrypt_cost(2**14)


def test_unknown_users_cost_the_same_scrypt_as_known_ones(call, engine, tokens, count_scrypt):
    with engine.write() as session:
        accounts.create_user(session, "known", roles=["clerk"], password="pw", now=engine.clock.now())
        accounts.create_user(session, "passwordless", roles=["clerk"], now=engine.clock.now())
        accounts.create_user(session, "retired", roles=["clerk"], password="pw", now=engine.clock.now())
        session.scalar(select(User).where(User.username == "retired")).active = False
    accounts.hash_password("warm the decoy")  # the decoy hash itself is made once, before
    accounts._decoy_hash()
    answers = {}
    for username in ("known", "nobody-by-this-name", "passwordless", "retired"):
        count_scrypt.clear()
        answer = call("POST", "/api/auth/token", json={"username": username, "password": "wrong"})
        answers[username] = (answer.status, answer.json["detail"], count_scrypt[:])
    costs = {username: calls for username, (_status, _detail, calls) in answers.items()}
    assert all(len(calls) == 1 for calls in costs.values()), costs
    assert len({calls[0] for calls in costs.values()}) == 1, costs  # the same parameters for all
    assert len({(status, detail) for status, detail, _calls in answers.values()}) == 1  # one answer for all
