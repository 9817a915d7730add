"""An auditor opens a case whose day is signed: the page shows where the case sits in the day's
Merkle tree and the signed root, and offers the proof file, which the offline verifier accepts;
once the case is anonymised, the page says so, lists what each event lost, and the proof of the
signed day still holds."""

from __future__ import annotations

import json

import pytest

from engine import commands as cmd
from engine.audit import RetentionPolicy, anonymisation
from verifier.check import Trust, check_case

from .conftest import carried_case, check_accessibility, sign_in, sign_the_days, wait_ready

pytestmark = pytest.mark.e2e


def test_an_auditor_sees_and_downloads_the_proof(page, web, api_as, engine, clock, signer, tmp_path):
    case = carried_case(api_as)
    day = sign_the_days(engine, clock, signer)
    sign_in(page, web, "inspector")
    page.goto(web.url(f"/app/#/case/{case['id']}/history"))
    wait_ready(page, "case-history")
    page.wait_for_selector("#proof-table")
    row = page.inner_text("#proof-table tbody tr")
    assert day.isoformat() in row and f"#{case['last_event_seq']}" in row and signer.key_id in row
    check_accessibility(page, "case-proof-zh")
    with page.expect_download() as download:
        page.get_by_role("link", name="下載證明檔（JSON）").click()
    path = tmp_path / "proof.json"
    download.value.save_as(path)
    proof = json.loads(path.read_text(encoding="utf-8"))
    report = check_case(proof, Trust.build(api_as("GET", "/api/audit/keys").json))
    assert report.ok and report.checked["days proven"] == 1, report.as_dict()

    page.get_by_role("button", name="Switch to English").click()
    page.wait_for_selector("text=Integrity proof (for the bureau's offline check)")
    assert "Download the proof (JSON)" in page.inner_text("#proof")
    check_accessibility(page, "case-proof-en")

    # Years later the case is anonymised: listed as it is now, its signed day still proven.
    if api_as("GET", f"/api/cases/{case['id']}", user="auditor").json["status"] == "running":
        engine.handle(cmd.RecordRating(case["id"], 5, "很好，謝謝"))
    clock.advance(seconds=1)
    run = anonymisation.anonymise(engine, RetentionPolicy(default_days=0), actor="records-officer", apply=True)
    assert [item["number"] for item in run.anonymised] == [case["number"]], run.as_dict()
    page.reload()
    wait_ready(page, "case-history")
    page.wait_for_selector("#proof-table")
    assert "This case was anonymised" in page.inner_text("main")
    assert "removed: applicant, data" in page.inner_text("#timeline")
    page.get_by_role("button", name="Verify integrity").click()
    page.wait_for_selector("#verify-result .notice")
    assert "cannot be replayed" in page.inner_text("#verify-result")
    assert day.isoformat() in page.inner_text("#proof-table tbody tr")
    check_accessibility(page, "case-anonymised-en")
    page.get_by_role("button", name="切換為中文").click()
    page.wait_for_selector("text=本案已去識別化")
    check_accessibility(page, "case-anonymised-zh")
