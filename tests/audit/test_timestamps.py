"""RFC 3161 witnessing against a real timestamp authority run locally (OpenSSL's ``ts``): every
signed root is stamped, a root changed afterwards no longer matches its stamp, and an authority
that is down leaves the anchor standing and the stamp for a later retry."""

from __future__ import annotations

import json
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine.audit import anchoring, proofs
from engine.storage import ChainAnchor
from verifier.check import Trust, check_case

from ..engine.helpers import RECEIVE, complete, start
from ..tsa import LocalTsa
from .test_proofs import forge_anchors, rewrite_actor

TAIPEI = ZoneInfo("Asia/Taipei")
MONDAY = date(2026, 3, 2)


@pytest.fixture
def tsa():
    with LocalTsa() as authority:
        yield authority


def anchored_case(engine, clock, signer, tsa):
    case = start(engine)
    complete(engine, case.case_id, "receive_application", RECEIVE)
    clock.advance(days=1)
    stamper = anchoring.rfc3161_timestamper(tsa.url, 10)
    made = anchoring.anchor_day(engine, MONDAY, signer=signer, actor="cron", zone=TAIPEI, timestamper=stamper)
    return case, made


def test_every_signed_root_is_stamped_and_checks_offline(engine, transcript, clock, signer, tsa):
    case, made = anchored_case(engine, clock, signer, tsa)
    assert tsa.requests == 1 and made["timestamp"]["authority"] == tsa.url and made["timestamp"]["time"]
    bundle = json.loads(json.dumps(proofs.case_proof(engine, case.case_id, TAIPEI)))
    trust = Trust.build(bundle["public_keys"], tsa_pem=tsa.ca_pem)
    report = check_case(bundle, trust)
    assert report.ok and report.checked["timestamps"] == 1
    assert anchoring.verify_anchors(engine, tsa_certificates=trust.tsa_certificates)["ok"]
    stranger = LocalTsa()  # another authority's certificate does not vouch for this stamp
    assert not check_case(bundle, Trust.build(bundle["public_keys"], tsa_pem=stranger.ca_pem)).ok


def test_a_root_changed_after_its_stamp_is_caught(engine, transcript, clock, signer, tsa):
    case, _made = anchored_case(engine, clock, signer, tsa)
    rewrite_actor(engine, case.case_id, 2, "clerk-9", recompute=True)
    forge_anchors(engine, signer=signer)  # even with the office's key, the stamp stays the old one
    problems = [p["message"] for p in anchoring.verify_anchors(engine)["problems"]]
    assert any(m.startswith("the timestamp does not match the signed root") for m in problems)
    bundle = json.loads(json.dumps(proofs.case_proof(engine, case.case_id, TAIPEI)))
    report = check_case(bundle, Trust.build(bundle["public_keys"], tsa_pem=tsa.ca_pem))
    assert any("timestamp was given for another root" in p["message"] for p in report.problems)


def test_an_authority_that_is_down_is_retried_later(engine, transcript, clock, signer, tsa, cli, monkeypatch, tmp_path):
    tsa.refuse = True
    _case, made = anchored_case(engine, clock, signer, tsa)
    assert made["timestamp"]["error"].startswith("HTTPError") and tsa.requests == 0
    with engine.read() as session:
        assert session.scalar(select(ChainAnchor.timestamp_response)) is None
    tsa.refuse = False
    monkeypatch.setenv("ONESTOP_TSA_URL", tsa.url)
    retried = [json.loads(line) for line in cli("audit", "timestamp").output.splitlines()]
    assert [item["day"] for item in retried] == ["2026-03-02"] and retried[0]["timestamp"]["authority"] == tsa.url
    certificate = tmp_path / "tsa-ca.pem"
    certificate.write_bytes(tsa.ca_pem)
    monkeypatch.setenv("ONESTOP_TSA_CERT", str(certificate))
    assert cli("audit", "verify-anchors").exit_code == 0
