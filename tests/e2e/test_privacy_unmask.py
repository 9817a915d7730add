"""In the browser: a case's history shows national ID numbers masked; an auditor who asks sees
them in full, and that read is on the record auditors list."""

from __future__ import annotations

import pytest

from tests.engine.helpers import VALID_ID

from .conftest import carried_case, screenshot, sign_in, wait_ready

pytestmark = pytest.mark.e2e
MASKED = "A12****789"


def test_an_auditor_unmasks_a_case_and_the_read_is_recorded(page, web, api_as):
    case = carried_case(api_as)
    sign_in(page, web, "inspector")
    page.goto(web.url(f"/app/#/case/{case['id']}/history"))
    wait_ready(page, "case-history")
    page.wait_for_selector("#step-data")
    assert MASKED in page.inner_text("#step-data") and VALID_ID not in page.content()
    # The page's proof section holds the case's proof (events as stored, numbers in full): a recorded read.
    before = api_as("GET", "/api/audit/personal-data-reads", user="auditor").json["items"]
    assert {item["view"] for item in before} == {"proof"}

    page.get_by_role("button", name="顯示完整身分證號（將留存查閱紀錄）").click()
    page.wait_for_selector("#unmask-button[aria-pressed=true]")
    page.wait_for_function(f"() => document.querySelector('#step-data')?.textContent.includes('{VALID_ID}')")
    screenshot(page, "case-history-unmasked")
    reads = api_as("GET", "/api/audit/personal-data-reads", user="auditor").json
    assert {(item["reader"], item["case_number"]) for item in reads["items"]} == {("inspector", case["number"])}
    assert {item["view"] for item in reads["items"]} >= {"case", "timeline", "state"}

    page.get_by_role("button", name="遮蔽身分證號").click()
    page.wait_for_selector("#unmask-button[aria-pressed=false]")
    page.wait_for_function(f"() => document.querySelector('#step-data')?.textContent.includes('{MASKED}')")
    page.get_by_role("button", name="English").click()
    page.get_by_role("button", name="Show full ID numbers (the read is recorded)").wait_for()
    page.wait_for_function(f"() => document.querySelector('#step-data')?.textContent.includes('{MASKED}')")
    screenshot(page, "case-history-masked-en")
