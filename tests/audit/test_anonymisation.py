"""Anonymisation: closed cases past their period lose their personal values in place; their chain,
the signed roots the bureau holds and the offline verifier still prove them, the figures do not
move, and the path it opens in the append-only guard cannot be used to change a value."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from engine import Conflict
from engine.audit import RetentionPolicy, anchoring, anonymisation, archive_and_purge, proofs, verify_archive
from engine.storage import Case, CaseEvent, Rating, ServiceJob, event_hash
from verifier.check import Trust, check_case
from workflows.reports import run_report

from ..engine.helpers import VALID_ID
from ..tampering import with_guard_lifted
from .test_offline_verifier import save, verify
from .test_proofs import MONDAY, TAIPEI
from .test_retention import closed_case
from .test_retention_documents import closed_case_with_files

POLICY = RetentionPolicy(default_days=30)
FIGURES = ("sla", "processing-time", "ratings", "workload", "backlog")
MARCH = {"first": date(2026, 3, 1), "last": date(2026, 3, 31)}


@pytest.fixture
def office(engine, transcript, clock, signer):
    """Monday: one case served and rated with a comment, one withdrawn; the day is anchored and
    the bureau took the month's roots; 40 days later both are past a 30-day period."""
    served, withdrawn = closed_case(engine, clock), closed_case(engine, clock, rating=None)
    clock.advance(days=1)
    anchoring.anchor_day(engine, MONDAY, signer=signer, actor="cron", zone=TAIPEI)
    bureau = json.loads(json.dumps(proofs.witnessed_file(engine, "2026-03", signer)))
    clock.advance(days=40)
    return {"served": served, "withdrawn": withdrawn, "trust": Trust.build(bureau["public_keys"], [bureau])}


def figures(engine) -> dict:
    return {name: run_report(engine, name, **MARCH)["rows"] for name in FIGURES}


def stored(engine, case_id: str) -> tuple[Case, list[CaseEvent]]:
    with engine.read() as session:
        case = session.get(Case, case_id)
        events = list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)))
        session.expunge_all()
    return case, events


def case_report(engine, case_id, trust):
    return check_case(json.loads(json.dumps(proofs.case_proof(engine, case_id, TAIPEI), default=str)), trust)


def test_personal_values_go_and_every_proof_stays(engine, office, cli, tmp_path, call):
    served = office["served"].case_id
    before, history_before = figures(engine), stored(engine, served)[1]

    listed = json.loads(cli("retention", "anonymise", "--days", "30").output)
    assert listed["dry_run"] and listed["would_anonymise_count"] == 2
    plans = {item["number"]: item for item in listed["would_anonymise"]}
    assert {"applicant", "data", "params", "result", "comment"} <= set(plans[office["served"].number]["keys"])
    assert stored(engine, served)[0].applicant["national_id"] == VALID_ID  # a listing changes nothing

    done = json.loads(cli("retention", "anonymise", "--days", "30", "--apply", "--actor", "records-officer").output)
    assert done["anonymised_count"] == 2 and done["refused"] == [] and done["failed"] == []
    case, events = stored(engine, served)
    assert case.applicant is None and VALID_ID not in case.state and "王小明" not in case.state
    assert (case.applicant_name, case.applicant_id_digest, case.applicant_phone) == (None, None, None)
    assert VALID_ID not in json.dumps([event.payload for event in events], ensure_ascii=False)
    assert events[0].payload == {
        key: events[0].payload[key] for key in ("definition_id", "procedure", "version", "channel")
    }
    assert events[-1].type == "case_anonymised" and events[-1].actor == "records-officer"
    with engine.read() as session:
        assert session.get(Rating, served).comment is None and session.get(Rating, served).score == 4
        jobs = session.scalars(select(ServiceJob).where(ServiceJob.case_id == served)).all()
        assert jobs and all(job.params == {} and job.status == "done" for job in jobs)  # what was asked goes
    # every earlier event keeps its hash: the chain, the day's root and its proof stay as signed
    assert [e.hash for e in events[:-1]] == [e.hash for e in history_before]
    verification = engine.verify_case(served)
    assert verification.ok and not verification.replayed, verification.problems
    report = case_report(engine, served, office["trust"])
    assert report.ok and report.checked["days proven"] == 1, report.as_dict()
    assert figures(engine) == before
    with pytest.raises(Conflict, match="anonymised"):
        engine.case_state(served, at_seq=2)

    # the auditor and the clerk see the case listed as it is now, not a broken replay
    for user in ("auditor", "clerk"):
        shown = call("GET", f"/api/cases/{served}", user=user)
        assert shown.status == 200 and shown.json["applicant"] is None, shown.json
        activity = call("GET", f"/api/cases/{served}/activity", user=user)
        assert activity.status == 200, activity.json
    timeline = call("GET", f"/api/cases/{served}/timeline", user="auditor").json
    assert timeline["anonymised"] and timeline["divergence"] is None and len(timeline["entries"]) == len(events)
    assert "applicant" in timeline["entries"][0]["redacted"] and timeline["entries"][-1]["type"] == "case_anonymised"
    checked = call("GET", f"/api/cases/{served}/verify", user="auditor").json
    assert checked["ok"] and checked["replayed"] is False
    assert call("GET", f"/api/cases/{served}/state", query={"at": 2}, user="auditor").status == 409
    assert call("GET", f"/api/cases/{served}/state", user="auditor").json["data"] == {}

    # the bureau's own check, in a process of its own, on the proof the API hands out now
    keys = save(tmp_path / "keys.json", call("GET", "/api/audit/keys").json)
    proof = save(tmp_path / "case.json", call("GET", f"/api/cases/{served}/proof", user="auditor").json)
    checked = verify("case", proof, "--keys", keys, "--text")
    assert checked.returncode == 0 and "VALID" in checked.stdout, checked.stdout + checked.stderr
    assert "anonymised" in checked.stdout
    again = json.loads(cli("retention", "anonymise", "--days", "30", "--apply").output)
    assert again["anonymised_count"] == 0  # done once


def test_anonymisation_cannot_change_a_value(engine, office):
    """The guard lets an anonymised case's payloads change: a value replaced (its salt kept), or
    a digest put in place of a value, is still caught by the chain and the verifier."""
    served = office["served"].case_id
    anonymisation.anonymise(engine, POLICY, actor="records-officer", apply=True)
    case, events = stored(engine, served)
    rated = next(event for event in events if event.type == "rating_recorded")
    with engine.write() as session:  # through the path anonymisation opens, no guard lifted
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL onestop.anonymise = 'on'"))
        conn.execute(update(CaseEvent).where(CaseEvent.id == rated.id).values(payload={**rated.payload, "score": 1}))
    verification = engine.verify_case(served)
    assert not verification.ok and verification.first_divergent_seq == rated.seq
    assert not case_report(engine, served, office["trust"]).ok
    # nothing else may change that way: the hash itself is refused by the guard
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.write() as session:
            conn = session.connection()
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL onestop.anonymise = 'on'"))
            conn.execute(update(CaseEvent).where(CaseEvent.id == rated.id).values(hash="0" * 64))


def test_a_case_written_before_hash_version_2_is_refused_by_name(engine, office):
    """Its events hash the values themselves: it is left whole (retention archives it whole), and
    the other cases of the run are anonymised all the same."""
    old = office["withdrawn"].case_id
    with with_guard_lifted(engine) as session:  # as the office's cases were before version 2
        rows = session.query(CaseEvent).filter_by(case_id=old).order_by(CaseEvent.seq).all()
        previous = "0" * 64
        for row in rows:
            row.hash_version, row.payload_salts, row.prev_hash = 1, None, previous
            row.hash = previous = event_hash(row)
        session.get(Case, old).last_event_hash = previous
    assert engine.verify_case(old).ok

    run = anonymisation.anonymise(engine, POLICY, actor="records-officer", apply=True)
    assert [item["number"] for item in run.anonymised] == [office["served"].number]
    [refused] = run.refused
    assert refused["number"] == office["withdrawn"].number and "before hash version 2" in refused["reason"]
    case, events = stored(engine, old)
    assert case.applicant["national_id"] == VALID_ID and not any(event.redacted for event in events)
    assert engine.verify_case(old).ok


def test_files_go_with_the_personal_values_and_the_case_still_archives(engine, clock, settings, tmp_path):
    case_id = closed_case_with_files(engine)
    clock.advance(days=2)
    run = anonymisation.anonymise(engine, RetentionPolicy(default_days=1), actor="records", apply=True)
    assert [item["documents"] for item in run.anonymised] == [2] and run.files_left == []
    assert [path for path in Path(settings.document_folder).rglob("*") if path.is_file()] == []
    _case, events = stored(engine, case_id)
    attached = [event for event in events if event.type == "document_attached"]
    assert [sorted(event.redacted) for event in attached] == [["file_name"], ["file_name"]]
    assert all(len(event.payload["sha256"]) == 64 for event in attached)  # what was received stays proven
    assert engine.verify_case(case_id).ok
    archived = archive_and_purge(engine, RetentionPolicy(default_days=1), tmp_path / "archive", actor="records")
    assert [result["ok"] for result in verify_archive(engine, Path(archived.archive_file))] == [True]
