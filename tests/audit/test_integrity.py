"""Integrity: the database refuses edits of the event log, verification runs are recorded with
the first divergent event, and signed daily anchors catch a rewrite that replay cannot see."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from engine import Conflict, InvalidInput
from engine.audit import anchoring, integrity
from engine.storage import (
    Case,
    CaseEvent,
    ChainAnchor,
    ChainAnchorHead,
    VerificationFailure,
    VerificationRun,
    event_hash,
)

from ..engine.helpers import RECEIVE, complete, events, start
from ..tampering import tamper, with_guard_lifted

TAIPEI = ZoneInfo("Asia/Taipei")
KEY = b"anchor key of the tests"
DAY = date(2026, 3, 2)  # the clock fixture's Monday


def finished_case(engine, clock):
    started = start(engine)
    complete(engine, started.case_id, "receive_application", RECEIVE)
    clock.advance(minutes=5)  # within the transcript's 15 minutes
    complete(engine, started.case_id, "issue_transcript", {"fee_paid": 15})
    return started


# ---------------------------------------------------------------------- the database guard
@pytest.mark.parametrize(
    "statement",
    [
        lambda case_id: update(CaseEvent).where(CaseEvent.case_id == case_id).values(actor="someone else"),
        lambda case_id: delete(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.seq == 2),
        lambda case_id: delete(CaseEvent),
    ],
    ids=["update", "delete-one", "delete-all"],
)
def test_the_application_cannot_change_the_event_log(engine, transcript, clock, statement):
    started = finished_case(engine, clock)
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.write() as session:
            session.execute(statement(started.case_id))
    assert [e.actor for e in events(engine, started.case_id)] == ["clerk-1", "clerk-1", "worker", "clerk-1", "engine"]
    assert engine.verify_case(started.case_id).ok


def test_postgresql_refuses_truncate_too(engine, transcript, clock):
    if engine.db.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (a DELETE without WHERE is refused above)")
    finished_case(engine, clock)
    with pytest.raises(DBAPIError, match="append-only: TRUNCATE"):
        with engine.write() as session:
            session.execute(text("TRUNCATE case_events CASCADE"))


def test_the_purge_setting_alone_does_not_open_the_log(engine, transcript, clock):
    """Retention's way through (the purge setting) works only for cases recorded as archived."""
    started = finished_case(engine, clock)
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.write() as session:
            if engine.db.dialect.name == "postgresql":
                session.execute(text("SET LOCAL onestop.retention_purge = 'on'"))
            session.execute(delete(CaseEvent).where(CaseEvent.case_id == started.case_id))
    assert len(events(engine, started.case_id)) == 5


# ---------------------------------------------------------------------- verification runs
def test_a_verification_run_is_recorded(engine, transcript, clock):
    started = finished_case(engine, clock)
    run = integrity.verify_and_record(engine, actor="auditor-1", case_id=started.case_id)
    assert run["ok"] and run["scope"] == "case" and run["cases_checked"] == 1 and run["first_failure"] is None
    with engine.read() as session:
        stored = session.get(VerificationRun, run["id"])
        assert (stored.actor, stored.case_id, stored.ok, stored.started_at) == (
            "auditor-1",
            started.case_id,
            True,
            clock.now(),
        )


def test_a_failed_run_names_each_case_and_its_first_divergent_event(engine, transcript, clock):
    good = finished_case(engine, clock)
    bad = finished_case(engine, clock)
    tamper(
        engine, update(CaseEvent).where(CaseEvent.case_id == bad.case_id, CaseEvent.seq == 3).values(actor="mallory")
    )
    run = integrity.verify_and_record(engine, actor="auditor-1")
    assert run["scope"] == "all" and run["cases_checked"] == 2 and run["cases_failed"] == 1 and not run["ok"]
    assert run["first_failure"]["number"] == bad.number and run["first_failure"]["first_divergent_seq"] == 3
    assert "edited" in run["first_failure"]["problem"]
    with engine.read() as session:
        failures = list(session.scalars(select(VerificationFailure)))
        assert [(f.case_id, f.first_divergent_seq) for f in failures] == [(bad.case_id, 3)]
        runs, total = integrity.list_runs(session)
        assert total == 1 and runs[0]["failures"][0]["number"] == bad.number
        assert integrity.list_runs(session, case_id=good.case_id)[1] == 0


def test_api_runs_a_verification_and_lists_the_runs(call, engine, transcript, clock):
    started = finished_case(engine, clock)
    one = call("POST", "/api/audit/verifications", user="auditor", json={"case_id": started.case_id})
    assert one.status == 201 and one.json["ok"] and one.json["actor"] == "auditor"
    # Every case at once: auditors and admins; a supervisor verifies the cases they reach, one by one.
    assert call("POST", "/api/audit/verifications", user="supervisor", json={}).status == 403
    everything = call("POST", "/api/audit/verifications", user="admin", json={})
    assert everything.status == 201 and everything.json["scope"] == "all" and everything.json["cases_checked"] == 1
    listed = call("GET", "/api/audit/verifications", user="auditor")
    assert listed.status == 200 and [run["id"] for run in listed.json["items"]] == [
        everything.json["id"],
        one.json["id"],
    ]
    assert call("POST", "/api/audit/verifications", user="auditor", json={"case_id": "nope"}).status == 404
    assert call("POST", "/api/audit/verifications", user="auditor", json={"all": True}).status == 422
    assert call("POST", "/api/audit/verifications", user="clerk", json={}).status == 403


def test_cli_verify_records_the_run_and_fails_on_a_forgery(cli, engine, transcript, clock):
    started = finished_case(engine, clock)
    assert cli("audit", "verify", started.number, "--actor", "auditor-2").exit_code == 0
    tamper(engine, delete(CaseEvent).where(CaseEvent.case_id == started.case_id, CaseEvent.seq == 5))
    failed = cli("audit", "verify", "--all", ok=False)
    assert failed.exit_code == 1 and '"first_divergent_seq": 5' in failed.output
    assert cli("audit", "verify", ok=False).exit_code == 2
    with engine.read() as session:
        assert [run.ok for run in session.scalars(select(VerificationRun).order_by(VerificationRun.id))] == [
            True,
            False,
        ]


# ---------------------------------------------------------------------- anchors
def rewrite_actor(engine, case_id: str, seq: int, actor: str) -> None:
    """A forger with database rights changes who did something and recomputes the chain from
    there on. Who did it is not part of the workflow state, so replay still agrees."""
    with with_guard_lifted(engine) as session:
        rows = session.query(CaseEvent).filter_by(case_id=case_id).order_by(CaseEvent.seq).all()
        rows[seq - 1].actor = actor
        previous = rows[seq - 2].hash
        for row in rows[seq - 1 :]:
            row.prev_hash = previous
            row.hash = previous = event_hash(row)
        session.get(Case, case_id).last_event_hash = previous


def anchor(engine, day, signer, **kwargs):
    return anchoring.anchor_day(engine, day, signer=signer, actor="cron", zone=TAIPEI, **kwargs)


def test_an_anchor_catches_a_rewrite_that_replay_cannot_see(engine, transcript, clock, signer):
    started = finished_case(engine, clock)
    other = finished_case(engine, clock)
    clock.advance(days=1)
    made = anchor(engine, DAY, signer)
    assert made["cases"] == 2 and made["days"] == 1 and made["key_id"] == signer.key_id
    assert anchoring.verify_anchors(engine)["ok"]

    rewrite_actor(engine, started.case_id, 3, "clerk-9")
    assert engine.verify_case(started.case_id).ok  # the hash chain and replay are consistent again
    result = anchoring.verify_anchors(engine)
    assert not result["ok"] and result["heads_checked"] == 2
    assert result["problems"] == [
        {
            "day": "2026-03-02",
            "case_id": started.case_id,
            "seq": 5,  # the anchored head
            "message": "an anchored event's hash changed: the history was rewritten",
        }
    ]
    assert other.case_id not in str(result["problems"])


def test_a_forged_anchor_is_caught_by_its_signature(engine, transcript, clock, signer):
    finished_case(engine, clock)
    clock.advance(days=1)
    anchor(engine, DAY, signer, hmac_key=KEY)
    with engine.write() as session:
        session.execute(update(ChainAnchorHead).values(hash="0" * 64))
    messages = [p["message"] for p in anchoring.verify_anchors(engine)["problems"]]
    assert "the anchored heads do not make the signed root: they were altered" in messages
    with engine.write() as session:
        session.execute(update(ChainAnchor).values(digest="f" * 64))
    messages = [p["message"] for p in anchoring.verify_anchors(engine, hmac_key=KEY)["problems"]]
    assert any(m.startswith("the signed root: its signature does not match") for m in messages)
    assert "the HMAC does not match the root: the anchor was altered" in messages


def test_anchors_made_with_an_hmac_before_public_keys_still_verify(engine, transcript, clock):
    """An anchor of the hmac-sha256 scheme (before public keys) is checked with its key as before."""
    started = finished_case(engine, clock)
    with engine.write() as session:
        heads = anchoring.day_heads(session, *anchoring.day_bounds(DAY, TAIPEI))
        digest = anchoring.legacy_digest(heads)
        old = ChainAnchor(
            day=DAY, created_at=clock.now(), created_by="cron", cases=len(heads), digest=digest,
            scheme="hmac-sha256", key_id=anchoring.key_fingerprint(KEY), signature=anchoring.hmac_seal(KEY, DAY, digest),
        )  # fmt: skip
        session.add(old)
        session.flush()
        session.add_all(ChainAnchorHead(anchor_id=old.id, case_id=c, seq=s, hash=h) for c, s, h in heads)
    assert anchoring.verify_anchors(engine, hmac_key=KEY)["ok"]
    assert anchoring.verify_anchors(engine)["problems"][0]["message"].startswith("made with an HMAC")
    other_key = anchoring.verify_anchors(engine, hmac_key=b"another key")["problems"][0]["message"]
    assert other_key.startswith("signed with another key")
    rewrite_actor(engine, started.case_id, 2, "clerk-9")
    assert not anchoring.verify_anchors(engine, hmac_key=KEY)["ok"]


def test_anchoring_rules(engine, transcript, clock, signer):
    finished_case(engine, clock)
    with pytest.raises(Conflict, match="not over"):
        anchor(engine, DAY, signer)
    clock.advance(days=3)
    with pytest.raises(InvalidInput, match="ONESTOP_SIGNING_KEY_FILE"):
        anchor(engine, DAY, None)
    with engine.read() as session:
        assert anchoring.unanchored_days(session, TAIPEI, DAY + timedelta(days=2)) == [
            DAY,
            DAY + timedelta(days=1),
            DAY + timedelta(days=2),
        ]
    anchor(engine, DAY + timedelta(days=1), signer)
    with pytest.raises(Conflict, match="already anchored"):
        anchor(engine, DAY + timedelta(days=1), signer)
    with pytest.raises(Conflict, match="in order"):
        anchor(engine, DAY, signer)
    quiet = anchor(engine, DAY + timedelta(days=2), signer)
    assert quiet["cases"] == 0 and quiet["days"] == 2
    with engine.read() as session:
        assert anchoring.unanchored_days(session, TAIPEI, DAY + timedelta(days=2)) == []
    assert anchoring.verify_anchors(engine) == {
        "anchors": 2,
        "heads_checked": 0,
        "heads_archived": 0,
        "ok": True,
        "problems": [],
    }


def test_cli_and_api_anchor_and_check(cli, call, engine, transcript, clock, monkeypatch, signing_key_file):
    started = finished_case(engine, clock)
    clock.advance(days=2)
    failed = cli("audit", "anchor", "--missing", ok=False)
    assert failed.exit_code == 1 and "ONESTOP_SIGNING_KEY_FILE" in failed.output
    monkeypatch.setenv("ONESTOP_SIGNING_KEY_FILE", str(signing_key_file))
    made = [line for line in cli("audit", "anchor", "--missing").output.splitlines() if line.strip()]
    assert len(made) == 2  # Monday (one case) and Tuesday (none)
    listed = call("GET", "/api/audit/anchors", user="auditor").json
    assert [item["day"] for item in listed] == ["2026-03-03", "2026-03-02"]
    assert listed[1]["scheme"] == "merkle-ed25519" and listed[1]["cases"] == 1 and listed[1]["days"] == 1
    assert call("GET", "/api/audit/anchors/verify", user="auditor").json["ok"] is True
    assert cli("audit", "verify-anchors").exit_code == 0
    rewrite_actor(engine, started.case_id, 2, "clerk-9")
    assert call("GET", "/api/audit/anchors/verify", user="auditor").json["ok"] is False
    assert cli("audit", "verify-anchors", ok=False).exit_code == 1
    assert call("GET", "/api/audit/anchors/verify", user="clerk").status == 403
