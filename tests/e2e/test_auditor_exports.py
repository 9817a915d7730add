"""An auditor travels back through a case's history, verifies it, then chooses the completed
cases of the period: verifies them, reads the signed daily anchors, and exports them as CSV and
as an XES event log that pm4py reads (one trace per chosen case)."""

from __future__ import annotations

import csv
import io

import pm4py
import pytest

from .conftest import carried_case, check_accessibility, sign_in, sign_the_days, wait_ready

pytestmark = pytest.mark.e2e


def test_an_auditor_time_travels_verifies_and_exports_a_filtered_selection(
    page, web, api_as, engine, clock, signer, tmp_path
):
    done = carried_case(api_as)
    rating = {"code": done["access_code"], "score": 5}
    assert api_as("POST", f"/api/public/cases/{done['number']}/rating", json=rating).status == 201  # completes it
    running = api_as("POST", "/api/cases", user="clerk", json={"procedure": "household_transcript"}).json
    day = sign_the_days(engine, clock, signer)

    sign_in(page, web, "inspector")
    # Time travel: back to the first event, where the case stood at the receiving task.
    page.goto(web.url(f"/app/#/case/{done['id']}/history"))
    wait_ready(page, "case-history")
    page.wait_for_selector("#case-diagram .djs-element")
    # Every event and actor in words: the service delivered, the rating, the system's own steps.
    timeline = page.inner_text("#timeline")
    assert "完成服務（計時停止）" in timeline and "執行者: 系統" in timeline
    assert "event_" not in page.inner_text("main") and "engine" not in timeline
    page.get_by_label("歷程步驟").focus()
    page.keyboard.press("Home")
    page.wait_for_function("() => document.querySelector('main .view').dataset.seq === '1'")
    assert page.locator('#case-diagram [data-element-id="receive_application"].current-step').count() == 1
    page.get_by_role("button", name="驗證完整性").click()
    page.wait_for_selector("#verify-result .notice.ok")

    # The audit page: the completed cases received today.
    page.get_by_role("link", name="稽核與匯出").click()
    wait_ready(page, "audit")
    assert page.locator("main .view").get_attribute("data-listed") == "2"
    page.get_by_label("狀態").select_option("completed")
    page.get_by_label("收件日起").fill(day.isoformat())
    page.get_by_label("收件日迄").fill(day.isoformat())
    page.get_by_role("button", name="列出案件").click()
    page.wait_for_function("() => document.querySelector('main .view').dataset.listed === '1'")
    assert done["number"] in page.inner_text("#audit-table") and running["number"] not in page.inner_text(
        "#audit-table"
    )
    assert "null" not in page.inner_text("main")
    check_accessibility(page, "audit-selection")

    page.get_by_role("button", name="驗證勾選的案件").click()
    page.wait_for_selector("#verify-table")
    assert "1 件中 1 件通過" in page.inner_text("#verify-selection-result")
    assert day.isoformat() in page.inner_text("#anchors-table")
    assert "已簽章" in page.inner_text("#anchors-table")
    page.get_by_role("button", name="檢查所有錨點").click()
    page.wait_for_selector("#anchors .notice.ok")

    with page.expect_download() as download:
        page.get_by_role("button", name="事件紀錄（XES，流程探勘）").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".xes" and "completed" in path.name
    page.wait_for_selector("#export-progress[data-done=true]")
    assert path.name in page.inner_text("#export-progress")
    log = pm4py.read_xes(str(path))
    assert log["case:concept:name"].nunique() == 1
    assert len(log) >= 4  # the receipt, the checks, the issue...

    with page.expect_download() as download:
        page.get_by_role("button", name="案件清單（CSV）").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    assert [(row["number"], row["status"]) for row in rows] == [(done["number"], "completed")]
    check_accessibility(page, "audit-exported")

    page.get_by_role("button", name="English").click()
    wait_ready(page, "audit")
    page.wait_for_selector("h1:has-text('Audit')")
    check_accessibility(page, "audit-en")
