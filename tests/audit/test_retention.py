"""Retention: closed cases past their period are archived to a file, then purged; the cases that
remain still verify, the archive verifies on its own, and anchors know what left."""

from __future__ import annotations

import json
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from engine import InvalidInput
from engine import commands as cmd
from engine.audit import RetentionPolicy, anchoring, archive_and_purge, due_for_archive, verify_archive
from engine.storage import Case, CaseArchive, CaseEvent, Rating, ServiceJob, Task

from ..engine.helpers import RECEIVE, VALID_ID, complete, start
from ..tampering import tamper


def closed_case(engine, clock, rating: int | None = 4):
    started = start(engine, applicant={"name": "王小明", "national_id": VALID_ID})
    complete(engine, started.case_id, "receive_application", RECEIVE)
    complete(engine, started.case_id, "issue_transcript", {"fee_paid": 15})
    if rating:
        engine.handle(cmd.RecordRating(started.case_id, rating, "好"))
    else:
        engine.handle(cmd.CancelCase(started.case_id, "withdrawn", actor="clerk-1"))
    return started


@pytest.fixture
def history(engine, transcript, clock):
    """Two cases closed on 2026-03-02 and one closed 40 days later; one still running."""
    old = [closed_case(engine, clock), closed_case(engine, clock, rating=None)]
    clock.advance(days=40)
    recent = closed_case(engine, clock)
    running = start(engine)
    clock.advance(days=1)
    return {"old": old, "recent": recent, "running": running}


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "archive"


def count(engine, model, case_ids) -> int:
    with engine.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(model.case_id.in_(case_ids)))


def test_policy_from_settings():
    policy = RetentionPolicy.parse("3650", "complaint_general=1825, household_transcript=30")
    assert policy.default_days == 3650 and policy.per_procedure == {
        "complaint_general": 1825,
        "household_transcript": 30,
    }
    assert RetentionPolicy.parse(None, None) == RetentionPolicy()
    with pytest.raises(InvalidInput):
        RetentionPolicy.parse("ten years", None)
    with pytest.raises(InvalidInput):
        RetentionPolicy(default_days=-1)


def test_only_closed_cases_past_their_period_are_due(engine, history, clock):
    with engine.read() as session:
        due = due_for_archive(session, RetentionPolicy(per_procedure={"household_transcript": 30}), clock.now(), 100)
        assert sorted(case.id for case in due) == sorted(case.case_id for case in history["old"])
        assert due_for_archive(session, RetentionPolicy(), clock.now(), 100) == []  # no period: kept forever
        assert due_for_archive(session, RetentionPolicy(default_days=100), clock.now(), 100) == []


def test_archive_then_purge_keeps_the_rest_verifiable(engine, history, clock, folder):
    old_ids = [case.case_id for case in history["old"]]
    run = archive_and_purge(engine, RetentionPolicy(default_days=30), folder, actor="records-officer")
    assert sorted(run.archived) == sorted(case.number for case in history["old"]) and run.kept_failing == []
    # gone from the database, every row that referred to them too
    with engine.read() as session:
        assert session.scalar(select(func.count()).select_from(Case).where(Case.id.in_(old_ids))) == 0
        archived = list(session.scalars(select(CaseArchive).order_by(CaseArchive.number)))
    for model in (CaseEvent, Task, Rating, ServiceJob):
        assert count(engine, model, old_ids) == 0
    assert [(a.archived_by, a.status, a.events) for a in archived] == [
        ("records-officer", "completed", 8),
        ("records-officer", "cancelled", 6),
    ]
    # the cases that remain verify, and the archive verifies on its own
    remaining = list(engine.verify_all())
    assert len(remaining) == 2 and all(result.ok for result in remaining)
    archive = folder / archived[0].archive_file
    results = verify_archive(engine, archive)
    assert sorted((r["number"], r["ok"]) for r in results) == [(c.number, True) for c in history["old"]]
    records = {r["case"]["number"]: r for r in map(json.loads, archive.read_text(encoding="utf-8").splitlines())}
    rated = records[history["old"][0].number]
    assert rated["case"]["state"] and len(rated["events"]) == 8 and rated["related"]["ratings"][0]["score"] == 4


def test_an_edited_archive_is_caught(engine, history, folder):
    run = archive_and_purge(engine, RetentionPolicy(default_days=30), folder, actor="records-officer")
    path = folder / run.archive_file.rsplit("/", 1)[-1]
    path.write_text(path.read_text(encoding="utf-8").replace('"fee_paid":15', '"fee_paid":1'), encoding="utf-8")
    results = verify_archive(engine, path)
    assert not results[0]["ok"] and "differs from the one recorded" in " ".join(results[0]["problems"])


def test_a_case_that_fails_verification_is_not_archived(engine, history, folder):
    forged = history["old"][0]
    tamper(
        engine, update(CaseEvent).where(CaseEvent.case_id == forged.case_id, CaseEvent.seq == 2).values(actor="mallory")
    )
    run = archive_and_purge(engine, RetentionPolicy(default_days=30), folder, actor="records-officer")
    assert run.archived == [history["old"][1].number]
    assert run.kept_failing == [{"number": forged.number, "first_divergent_seq": 2}]
    assert count(engine, CaseEvent, [forged.case_id]) > 0  # the evidence stays


def test_a_dry_run_changes_nothing(engine, history, folder):
    run = archive_and_purge(engine, RetentionPolicy(default_days=30), folder, actor="x", dry_run=True)
    assert len(run.archived) == 2 and run.archive_file is None and not folder.exists()
    assert count(engine, CaseEvent, [c.case_id for c in history["old"]]) == 14


def test_anchors_still_verify_after_a_purge(engine, history, folder, signer):
    anchoring.anchor_day(engine, date(2026, 3, 2), signer=signer, actor="cron", zone=ZoneInfo("Asia/Taipei"))
    archive_and_purge(engine, RetentionPolicy(default_days=30), folder, actor="records-officer")
    result = anchoring.verify_anchors(engine)
    assert result["ok"] and result["heads_archived"] == 2, result


def test_cli_retention_run_and_archive_check(cli, engine, history, folder, monkeypatch):
    monkeypatch.setenv("ONESTOP_RETENTION_DAYS", "3650")
    monkeypatch.setenv("ONESTOP_RETENTION_BY_PROCEDURE", "household_transcript=30")
    monkeypatch.setenv("ONESTOP_ARCHIVE_FOLDER", str(folder))
    listed = json.loads(cli("retention", "run", "--dry-run").output)
    assert listed["archived_count"] == 2 and listed["dry_run"] is True
    done = json.loads(cli("retention", "run", "--actor", "records-officer").output)
    assert done["archived_count"] == 2
    assert cli("retention", "verify-archive", done["archive_file"]).exit_code == 0
    assert json.loads(cli("retention", "run").output)["archived_count"] == 0
