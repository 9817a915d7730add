"""A supervisor finds the cases held by incidents, filters them, retries one with a corrected
variable and a reason, and cancels another; in Chinese and in English."""

from __future__ import annotations

import time

import pytest

from tests.security import hostile

from .conftest import check_accessibility, screenshot, sign_in, wait_ready

pytestmark = pytest.mark.e2e


def held_case(api_as, key: str) -> dict:
    """A case of ``key`` whose step after its timer failed: the served app's scheduler raised
    the incident (the timer is due at once)."""
    started = api_as("POST", "/api/cases", user="clerk", json={"procedure": key, "data": hostile.CASE_DATA}).json
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = api_as("GET", "/api/incidents", user="supervisor", query={"case_id": started["case_id"]}).json
        if found["items"]:
            return found["items"][0]
        time.sleep(0.2)
    raise AssertionError("the served app's scheduler raised no incident")


def test_a_supervisor_retries_one_incident_and_cancels_another(page, web, api_as):
    held = {}
    for probe in ("huge_power", "loop_without_wait"):
        key, files = hostile.procedure(probe, "script", wait='"PT0S"')
        assert api_as("POST", "/api/definitions", user="designer", files=list(files.items())).status == 201
        held[probe] = held_case(api_as, key)

    sign_in(page, web, "lead")
    page.get_by_role("link", name="異常事件").click()
    wait_ready(page, "incidents")
    rows = page.locator("#incidents-table tbody tr")
    assert rows.count() == 2
    assert "超出資源限制" in page.inner_text("#incidents-table") and "無等待點的迴圈" in page.inner_text(
        "#incidents-table"
    )
    check_accessibility(page, "incidents-zh")

    # Filter by kind: only the loop remains.
    page.get_by_label("種類").select_option("step_limit")
    page.get_by_role("button", name="篩選").click()
    page.wait_for_function("() => location.hash.includes('kind=step_limit')")
    wait_ready(page, "incidents")
    assert page.locator("#incidents-table tbody tr").count() == 1
    page.get_by_label("種類").select_option("")
    page.get_by_role("button", name="篩選").click()
    page.wait_for_function("() => !location.hash.includes('kind=')")
    wait_ready(page, "incidents")

    # Retry the power step with a smaller n, with the reason: the case goes on.
    power = held["huge_power"]
    row = page.locator("#incidents-table tbody tr", has_text=power["case_number"])
    row.get_by_label("理由").fill("n 多打了位數")
    row.get_by_label("修正變數（JSON，選填）").fill('{"n": 2}')
    row.get_by_role("button", name=f"重試 {power['case_number']}").click()
    page.wait_for_selector("#incident-outcome .notice.good")
    assert f"案件 {power['case_number']} 已重試" in page.inner_text("#incident-outcome")
    screenshot(page, "incidents-retried-zh")
    wait_ready(page, "incidents")
    page.wait_for_function("() => document.querySelectorAll('#incidents-table tbody tr').length === 1")

    # A retry of the loop without a fix fails again: said on the page, one more attempt counted.
    loop = held["loop_without_wait"]
    row = page.locator("#incidents-table tbody tr", has_text=loop["case_number"])
    row.get_by_role("button", name=f"重試 {loop['case_number']}").click()
    page.wait_for_selector("#incident-outcome .notice.bad")
    assert "重試仍失敗" in page.inner_text("#incident-outcome")
    wait_ready(page, "incidents")

    # In English, cancel it with a reason.
    page.get_by_role("button", name="Switch to English").click()
    wait_ready(page, "incidents")
    row = page.locator("#incidents-table tbody tr", has_text=loop["case_number"])
    assert row.locator("td").nth(5).inner_text() == "2"  # attempts
    row.get_by_label("Reason").fill("the procedure is being redrawn")
    row.get_by_role("button", name=f"Cancel case {loop['case_number']}").click()
    page.wait_for_selector("#incident-outcome .notice.good")
    wait_ready(page, "incidents")
    page.wait_for_selector("text=No incident matches.")
    check_accessibility(page, "incidents-en")

    page.get_by_label("Status").select_option("resolved")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_function("() => location.hash.includes('status=resolved')")
    wait_ready(page, "incidents")
    text = page.inner_text("#incidents-table")
    assert "Retried" in text and "Case cancelled" in text and "the procedure is being redrawn" in text
    screenshot(page, "incidents-resolved-en")
    assert api_as("GET", f"/api/cases/{power['case_id']}", user="supervisor").json["status"] == "running"
