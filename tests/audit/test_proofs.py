"""Proofs the Civil Affairs Bureau checks without trusting the office: a history rewritten in any
way the database allows is caught by the offline verifier from the bureau's witnessed roots and
the office's published keys alone; moves, replay and proofs of other days stay valid."""

from __future__ import annotations

import json
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, update

from engine import commands as cmd
from engine import files_from_folder
from engine.audit import anchoring, proofs, retention
from engine.storage import Case, CaseEvent, ChainAnchor, ChainAnchorHead, event_hash
from verifier.chain import first_broken_link
from verifier.check import Trust, check_case, check_office, check_witnessed
from verifier.statements import statement_bytes

from ..conftest import BPMN
from ..engine.helpers import RECEIVE, complete, start
from ..tampering import with_guard_lifted
from .test_integrity import finished_case

TAIPEI = ZoneInfo("Asia/Taipei")
MONDAY, TUESDAY = date(2026, 3, 2), date(2026, 3, 3)
HMAC_KEY = b"the office's HMAC key"


@pytest.fixture
def office(engine, transcript, clock, signer):
    """Monday: cases A and B finish, case C is received; Tuesday: C finishes. Both days are
    anchored (with an HMAC too); the bureau took the month's roots file and the public keys."""
    a, b = finished_case(engine, clock), finished_case(engine, clock)
    c = start(engine)
    complete(engine, c.case_id, "receive_application", RECEIVE)
    clock.advance(days=1)
    complete(engine, c.case_id, "issue_transcript", {"fee_paid": 15})
    clock.advance(days=1)
    for day in (MONDAY, TUESDAY):
        anchoring.anchor_day(engine, day, signer=signer, actor="cron", zone=TAIPEI, hmac_key=HMAC_KEY)
    bureau = json.loads(json.dumps(proofs.witnessed_file(engine, "2026-03", signer)))  # the bureau's copy
    return {"a": a, "b": b, "c": c, "bureau": bureau}


def bureau_trust(office) -> Trust:
    """What the bureau holds: the keys published to it and its monthly file of witnessed roots."""
    return Trust.build(office["bureau"]["public_keys"], [office["bureau"]])


def case_report(engine, case_id, trust):
    return check_case(json.loads(json.dumps(proofs.case_proof(engine, case_id, TAIPEI))), trust)


def office_report(engine, trust):
    text = "".join(proofs.office_export(engine, MONDAY, TUESDAY, TAIPEI))
    return check_office(json.loads(text), trust)


def messages(report) -> list[str]:
    return [problem["message"] for problem in report.problems]


# ---------------------------------------------------------------------- what an attacker does
def rewrite_actor(engine, case_id: str, seq: int, actor: str, *, recompute: bool) -> None:
    """Change who did something; with ``recompute``, recompute the chain from there on as a
    database administrator can (who did it is not workflow state: replay still agrees)."""
    with with_guard_lifted(engine) as session:
        rows = session.query(CaseEvent).filter_by(case_id=case_id).order_by(CaseEvent.seq).all()
        rows[seq - 1].actor = actor
        if recompute:
            previous = rows[seq - 2].hash
            for row in rows[seq - 1 :]:
                row.prev_hash = previous
                row.hash = previous = event_hash(row)
            session.get(Case, case_id).last_event_hash = previous


def delete_case(engine, case_id: str) -> None:
    """Remove a case and every row about it, as a database administrator can."""
    with with_guard_lifted(engine) as session:
        for table, column, referred in retention.dependent_tables(Case.__table__):
            if referred is Case.__table__:
                session.execute(delete(table).where(column == case_id))
            else:  # a row about a row of the case (a delivery of its notice...)
                owned = select(*referred.primary_key.columns).where(referred.c.case_id == case_id)
                session.execute(delete(table).where(column.in_(owned)))
        session.execute(delete(Case).where(Case.id == case_id))


def forge_anchors(engine, *, signer=None, hmac_key=None) -> None:
    """Rebuild every anchor from the log as it is now: heads, roots, the tree over days, the HMAC
    (with the office's HMAC key) and, with ``signer``, the Ed25519 signature too (a thief of
    the office's private key)."""
    with engine.write() as session:
        anchors = anchoring.merkle_anchors(session)
        for anchor in anchors:
            heads = anchoring.day_heads(session, *anchoring.day_bounds(anchor.day, TAIPEI))
            session.execute(delete(ChainAnchorHead).where(ChainAnchorHead.anchor_id == anchor.id))
            session.add_all(ChainAnchorHead(anchor_id=anchor.id, case_id=c, seq=s, hash=h) for c, s, h in heads)
            anchor.cases, anchor.digest = len(heads), anchoring.heads_tree(heads).root().hex()
        for position, anchor in enumerate(anchors, start=1):
            anchor.days, anchor.days_root = position, anchoring.days_tree(anchors[:position]).root().hex()
            if hmac_key:
                anchor.signature = anchoring.hmac_seal(hmac_key, anchor.day, anchor.digest)
            if signer:
                anchor.root_signature = signer.sign(
                    statement_bytes(anchoring.signed_root(anchor, with_signature=False))
                )


# ---------------------------------------------------------------------- valid histories
def test_every_case_proves_valid_offline(engine, office):
    trust = bureau_trust(office)
    for name in ("a", "b", "c"):
        report = case_report(engine, office[name].case_id, trust)
        assert report.ok, report.as_dict()
    c = case_report(engine, office["c"].case_id, trust)
    assert c.checked["days proven"] == 2 and c.checked["witnessed roots compared"] == 2
    assert office_report(engine, trust).ok
    assert check_witnessed([office["bureau"]], trust).ok


def test_a_proof_is_logarithmic_and_names_only_its_own_case(engine, office):
    bundle = proofs.case_proof(engine, office["a"].case_id, TAIPEI)
    [monday] = bundle["proofs"]
    assert monday["signed_root"]["cases"] == 3 and len(monday["path"]) == (1 if monday["leaf_index"] == 2 else 2)
    others = {office["b"].case_id, office["c"].case_id}
    assert not any(case_id in json.dumps(bundle) for case_id in others)


def test_events_after_the_last_signed_day_are_reported_as_not_signed_yet(engine, office, clock):
    started = start(engine)  # Wednesday, not anchored yet
    report = case_report(engine, started.case_id, bureau_trust(office))
    assert report.ok and report.notes == [
        f"{(TUESDAY + timedelta(days=1)).isoformat()} (events up to 1) is not signed yet"
    ]


# ---------------------------------------------------------------------- the four forgeries
def test_a_rewritten_event_is_caught(engine, office):
    rewrite_actor(engine, office["a"].case_id, 2, "clerk-9", recompute=False)
    report = case_report(engine, office["a"].case_id, bureau_trust(office))
    assert not report.ok
    assert report.problems[0]["seq"] == 2 and "content does not match its hash" in report.problems[0]["message"]


def test_a_rewritten_chain_with_recomputed_hashes_is_caught(engine, office, signer):
    rewrite_actor(engine, office["a"].case_id, 2, "clerk-9", recompute=True)
    assert engine.verify_case(office["a"].case_id).ok  # the chain and replay agree again
    trust = bureau_trust(office)
    report = case_report(engine, office["a"].case_id, trust)
    assert messages(report) == [
        "the history as of 2026-03-02 (event 5) is not in that day's signed tree: "
        "the case's events were changed after they were signed"
    ]
    # The forger with the office's private key re-signs everything: only the witness catches it.
    forge_anchors(engine, signer=signer, hmac_key=HMAC_KEY)
    keys_only = Trust.build(office["bureau"]["public_keys"])
    assert case_report(engine, office["a"].case_id, keys_only).ok
    caught = messages(case_report(engine, office["a"].case_id, trust))
    assert any("signed root of 2026-03-02 differs from the witnessed one (root, days_root)" in m for m in caught)


def test_a_deleted_case_is_caught(engine, office, signer):
    delete_case(engine, office["b"].case_id)
    trust = bureau_trust(office)
    assert f"case {office['b'].case_id} is in the signed tree of 2026-03-02, but its history is missing" in " ".join(
        messages(office_report(engine, trust))
    )
    forge_anchors(engine, signer=signer, hmac_key=HMAC_KEY)  # the day's tree rebuilt without it
    caught = messages(office_report(engine, trust))
    assert any(m.startswith("the signed root of 2026-03-02 differs from the witnessed one") for m in caught)
    assert any(m.startswith("the signed root of 2026-03-03 differs from the witnessed one (days_root)") for m in caught)


def test_a_rewritten_anchor_with_a_recomputed_hmac_is_caught(engine, office):
    rewrite_actor(engine, office["c"].case_id, 3, "clerk-9", recompute=True)
    forge_anchors(engine, hmac_key=HMAC_KEY)  # the HMAC key is enough to make the old seal agree
    office_side = [p["message"] for p in anchoring.verify_anchors(engine, hmac_key=HMAC_KEY)["problems"]]
    assert not any("HMAC" in m for m in office_side)  # the HMAC alone would not have seen it
    trust = bureau_trust(office)
    caught = messages(case_report(engine, office["c"].case_id, trust))
    assert any("its signature does not match the signed root" in m for m in caught)
    assert any("differs from the witnessed one" in m for m in caught)
    assert not office_report(engine, trust).ok


def test_the_office_reports_a_root_that_differs_from_the_witnessed_one(engine, office, signer):
    witnessed = {item["day"]: item for item in office["bureau"]["roots"]}
    assert anchoring.verify_anchors(engine, witnessed=witnessed)["ok"]
    rewrite_actor(engine, office["a"].case_id, 2, "clerk-9", recompute=True)
    forge_anchors(engine, signer=signer)
    problems = anchoring.verify_anchors(engine, witnessed=witnessed)["problems"]
    assert {
        "day": "2026-03-02",
        "message": "the signed root differs from the witnessed one (root, days_root)",
    } in problems
    with engine.write() as session:
        session.execute(delete(ChainAnchorHead))
        session.execute(delete(ChainAnchor))
    gone = anchoring.verify_anchors(engine, witnessed=witnessed)["problems"]
    assert gone == [
        {"day": "2026-03-02", "message": "a witnessed day has no anchor any more: it was removed"},
        {"day": "2026-03-03", "message": "a witnessed day has no anchor any more: it was removed"},
    ]


# ---------------------------------------------------------------------- the tree over days
def test_the_tree_over_days_only_grows(engine, office, clock, signer, call):
    clock.advance(days=1)
    anchoring.anchor_day(engine, TUESDAY + timedelta(days=1), signer=signer, actor="cron", zone=TAIPEI)
    proof = proofs.consistency(engine, 2)
    assert (proof["from_days"], proof["to_days"]) == (2, 3)
    assert proof["from_root"] == office["bureau"]["roots"][-1]["days_root"]
    from verifier import merkle
    from verifier.statements import unb64

    nodes = [unb64(node) for node in proof["proof"]]
    old, new = bytes.fromhex(proof["from_root"]), bytes.fromhex(proof["to_root"])
    assert merkle.verify_consistency(2, 3, old, new, nodes)
    assert not merkle.verify_consistency(2, 3, bytes.fromhex("00" * 32), new, nodes)
    answer = call("GET", "/api/audit/consistency?from=1&to=3", user="auditor")
    assert answer.status == 200 and answer.json["to_root"] == proof["to_root"]
    assert call("GET", "/api/audit/consistency?from=4", user="auditor").status == 422


def test_the_monthly_files_chain_by_consistency_proofs(engine, transcript, clock, signer):
    finished_case(engine, clock)
    clock.advance(days=40)  # into April
    anchoring.anchor_day(engine, MONDAY, signer=signer, actor="cron", zone=TAIPEI)
    anchoring.anchor_day(engine, date(2026, 4, 1), signer=signer, actor="cron", zone=TAIPEI)
    march = proofs.witnessed_file(engine, "2026-03", signer)
    april = proofs.witnessed_file(engine, "2026-04", signer)
    assert march["consistency"] is None and april["consistency"]["from_days"] == 1
    trust = Trust.build(april["public_keys"])
    report = check_witnessed([march, april], trust)
    assert report.ok and report.checked["consistency proofs"] == 1 and report.checked["files"] == 2
    april["roots"][0]["cases"] = 7
    broken = messages(check_witnessed([march, april], trust))
    assert any("was altered after it was signed" in m for m in broken)


# ---------------------------------------------------------------------- moves, replay, retention
def test_moving_a_case_and_replaying_it_keep_its_proofs(engine, transcript, clock, signer):
    case = start(engine)
    complete(engine, case.case_id, "receive_application", RECEIVE)
    clock.advance(days=1)
    anchoring.anchor_day(engine, MONDAY, signer=signer, actor="cron", zone=TAIPEI)
    files = files_from_folder(BPMN / "household_transcript")
    name = next(name for name in files if name.endswith(".bpmn"))
    files[name] = files[name] + b"\n<!-- version 2: the same diagram -->\n"
    engine.handle(cmd.DeployDefinition(files, actor="designer"))
    engine.handle(cmd.MoveCase(case.case_id, 2, reason="new version", actor="designer"))
    complete(engine, case.case_id, "issue_transcript", {"fee_paid": 15})
    clock.advance(days=1)
    anchoring.anchor_day(engine, TUESDAY, signer=signer, actor="cron", zone=TAIPEI)
    assert engine.verify_case(case.case_id).ok  # replay across the move
    trust = Trust.build(proofs.witnessed_file(engine, "2026-03", signer)["public_keys"])
    report = case_report(engine, case.case_id, trust)
    assert report.ok and report.checked["days proven"] == 2
    assert anchoring.verify_anchors(engine)["ok"]


def test_retention_keeps_the_signed_days_valid(engine, office, tmp_path, clock):
    for name in ("a", "b", "c"):  # the applicants rate: the cases close
        engine.handle(cmd.RecordRating(office[name].case_id, 5, None))
    clock.advance(days=400)
    run = retention.archive_and_purge(
        engine, retention.RetentionPolicy(default_days=365), tmp_path, actor="records-officer"
    )
    assert len(run.archived) == 3
    trust = bureau_trust(office)
    report = office_report(engine, trust)
    assert report.ok and len([n for n in report.notes if "left the database by retention" in n]) == 4
    result = anchoring.verify_anchors(engine)
    assert result["ok"] and result["heads_archived"] == 4
    # Each archived record still proves itself: its events are the history the signed heads cover.
    for record in retention.read_archive(run.archive_file):
        assert first_broken_link(record["events"]) is None


# ---------------------------------------------------------------------- keys
def test_a_rotated_key_keeps_the_days_it_signed(engine, office, clock, cli, monkeypatch, tmp_path):
    new_file = tmp_path / "new-key.pem"
    generated = json.loads(cli("audit", "keys", "generate", str(new_file)).output)
    assert oct(new_file.stat().st_mode & 0o777) == "0o600"
    monkeypatch.setenv("ONESTOP_SIGNING_KEY_FILE", str(new_file))
    rotated = json.loads(cli("audit", "keys", "activate", "--actor", "records-officer").output)
    assert rotated["key_id"] == generated["key_id"] and rotated["valid_from"] == "2026-03-04"
    clock.advance(days=1)
    start(engine)
    cli("audit", "anchor", "--missing")
    keys = json.loads(cli("audit", "keys", "list").output)
    assert [(k["valid_from"], k["valid_until"]) for k in keys["keys"]] == [
        ("2026-03-02", "2026-03-03"),
        ("2026-03-04", None),
    ]
    trust = Trust.build(keys, [office["bureau"]])
    for name in ("a", "c"):
        assert case_report(engine, office[name].case_id, trust).ok
    with engine.read() as session:
        signed_by = dict(session.execute(select(ChainAnchor.day, ChainAnchor.signing_key_id)).all())
    assert signed_by[date(2026, 3, 4)] == generated["key_id"]
    assert signed_by[MONDAY] == office["bureau"]["roots"][0]["key_id"] != generated["key_id"]
    # The old key cannot sign a day after it was closed.
    with engine.write() as session:
        session.execute(
            update(ChainAnchor).where(ChainAnchor.day == date(2026, 3, 4)).values(signing_key_id=signed_by[MONDAY])
        )
    problems = [p["message"] for p in anchoring.verify_anchors(engine)["problems"]]
    assert any("not on 2026-03-04" in m for m in problems)
    assert cli("audit", "keys", "activate", ok=False).exit_code == 1  # already recorded


def test_keys_are_published_without_an_account(call, engine, office):
    answer = call("GET", "/api/audit/keys")
    assert answer.status == 200 and answer.json["format"] == "onestop-public-keys/1"
    assert answer.json == office["bureau"]["public_keys"]
    assert "PRIVATE" not in json.dumps(answer.json)
