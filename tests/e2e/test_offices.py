"""The bureau compares its offices in the browser, in both languages, and goes down from the
ranked table to an office's figures and its cases."""

from __future__ import annotations

import pytest

from engine import accounts
from engine import commands as cmd
from engine.storage import offices

from ..engine.helpers import RECEIVE, complete
from .conftest import PASSWORD, check_accessibility, sign_in, wait_ready

pytestmark = pytest.mark.e2e


def test_the_bureau_ranks_its_offices_and_opens_one_office_and_its_cases(page, web, engine, clock):
    now = engine.clock.now()
    with engine.write() as session:
        for code, district in (("TN01", "中西區"), ("TN02", "永康區")):
            values = {"code": code, "name": f"臺南市{district}戶政事務所", "region": "臺南市", "district": district}
            offices.save_office(session.connection(), values, now=now)
        accounts.create_user(session, "bureau_head", roles=["auditor"], offices=["*"], password=PASSWORD, now=now)
    for office, minutes in (("TN01", 5), ("TN02", 40), ("TN02", None)):
        started = engine.handle(cmd.StartCase("household_transcript", {}, actor="lead", office=office))
        if minutes is not None:
            complete(engine, started.case_id, "receive_application", RECEIVE)
            clock.advance(minutes=minutes)
            complete(engine, started.case_id, "issue_transcript", {"fee_paid": 15})
    month = now.strftime("%Y-%m")
    sent = engine.handle(
        cmd.StartCase("household_transcript", {}, actor="lead", office="TN01", competent_office="TN02")
    ).case_id

    sign_in(page, web, "bureau_head")
    page.goto(web.url(f"/app/#/offices?month={month}"))
    wait_ready(page, "offices")
    rows = page.locator("#offices-table tbody tr")
    assert rows.nth(0).inner_text().startswith("1\t臺南市中西區戶政事務所 (TN01)")
    assert "2\t臺南市永康區戶政事務所 (TN02)" in rows.nth(1).inner_text()
    assert "全市合計" in rows.last.inner_text()
    check_accessibility(page, "offices-zh")
    page.locator(".lang-switch").click()
    wait_ready(page, "offices")
    assert "City total" in page.locator("#offices-table").inner_text()
    check_accessibility(page, "offices-en")
    page.locator(".lang-switch").click()
    wait_ready(page, "offices")

    page.get_by_role("link", name="臺南市永康區戶政事務所 (TN02)").click()
    wait_ready(page, "office")
    assert "戶籍謄本" in page.locator("#office-sla").inner_text()
    check_accessibility(page, "office-zh")
    page.locator("#office-cases").click()
    wait_ready(page, "cases")
    assert page.locator("#cases-table tbody tr").count() == 3  # two received there, one sent there
    assert "TN02" in page.locator("#search-office-note").inner_text()
    page.goto(web.url(f"/app/#/case/{sent}"))
    wait_ready(page, "case")
    summary = page.locator("#case-summary").inner_text()
    assert "收件所" in summary and "TN01" in summary and page.locator("#case-office").inner_text() == "TN02"
    check_accessibility(page, "case-cross-district-zh")
