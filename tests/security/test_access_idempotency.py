"""Idempotency keys are each sender's own: another user's identical key never returns someone
else's case or access code."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from bootstrap import build_engine
from engine import commands as cmd
from engine import files_from_folder
from engine.storage import upgrade
from engine.storage.schema import alembic_config
from tests.api.online_helpers import PDF
from tests.api.test_online import apply, birth, verified_token  # noqa: F401  (birth: a fixture)

from ..conftest import BPMN

BODY = {"procedure": "household_transcript", "applicant": {"name": "王小明"}}


def start(call, user: str, key: str):
    return call("POST", "/api/cases", user=user, json=BODY, headers={"Idempotency-Key": key})


def test_the_same_key_from_another_user_starts_their_own_case(call, transcript, tokens):
    first = start(call, "clerk", "form-7")
    retried = start(call, "clerk", "form-7")
    assert (first.status, retried.status) == (201, 200)
    assert retried.json["case_id"] == first.json["case_id"] and retried.json["existing"] is True
    stranger = start(call, "supervisor", "form-7")
    assert stranger.status == 201 and stranger.json["existing"] is False
    assert stranger.json["case_id"] != first.json["case_id"]
    assert first.json["access_code"] not in stranger.body.decode()
    assert first.json["number"] not in stranger.body.decode()


def test_a_stranger_reusing_a_key_with_another_body_learns_nothing(call, transcript, tokens):
    first = start(call, "clerk", "form-8")
    other = call(
        "POST",
        "/api/cases",
        user="supervisor",
        json={"procedure": "household_transcript", "channel": "online"},
        headers={"Idempotency-Key": "form-8"},
    )
    assert other.status == 201  # their own new case: not a 422 naming the clerk's case
    assert first.json["number"] not in other.body.decode()


def test_keys_stored_before_the_change_still_answer_their_sender(tmp_path, settings, clock):
    """Schema migration 1552 rewrites the keys already stored as their sender's own (run again on
    a database marked as before it: today's engine needs today's schema to start the case)."""
    url = f"sqlite:///{tmp_path / 'before.db'}"
    upgrade(url)
    engine = build_engine(settings.with_overrides(database_url=url), clock)
    try:
        engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / "household_transcript"), actor="designer"))
        started = engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk", idempotency_key="old"))
        raw = create_engine(url)
        with raw.begin() as connection:  # as the column held keys before: the key itself
            connection.execute(text("UPDATE cases SET idempotency_key = 'old'"))
        raw.dispose()
        command.stamp(alembic_config(url), "1551")
        upgrade(url, "1552")
        command.stamp(alembic_config(url), "head")
        again = engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk", idempotency_key="old"))
        assert again.existing and again.case_id == started.case_id
        stranger = engine.handle(cmd.StartCase("household_transcript", {}, actor="other", idempotency_key="old"))
        assert not stranger.existing and stranger.case_id != started.case_id
    finally:
        engine.dispose()


def test_online_applicants_keys_are_each_their_own(app, birth, tokens):
    """Online, every applicant acts as "applicant": their keys are scoped by who verified."""
    first_client, second_client = app.test_client(), app.test_client()
    first_client.environ_base["REMOTE_ADDR"], second_client.environ_base["REMOTE_ADDR"] = "192.0.2.1", "192.0.2.2"
    first_token = verified_token(app, first_client)
    second_token = verified_token(app, second_client, national_id="F131104093", destination="0922333444")
    files = [("documents.birth_certificate", "birth.pdf", PDF)]
    first = apply(first_client, first_token, files, headers={"Idempotency-Key": "apply-1"})
    second = apply(second_client, second_token, files, headers={"Idempotency-Key": "apply-1"})
    assert (first.status_code, second.status_code) == (201, 201), second.json
    assert second.json["number"] != first.json["number"]
    assert first.json["access_code"] not in str(second.json) and first.json["number"] not in str(second.json)
    again = apply(first_client, first_token, files, headers={"Idempotency-Key": "apply-1"})
    assert again.status_code == 200 and again.json["number"] == first.json["number"]
