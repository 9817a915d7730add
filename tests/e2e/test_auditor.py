"""An auditor steps through a case's history: the diagram shows the path taken and where the case
was at each step, the data as it was then; the integrity check reports its result."""

from __future__ import annotations

import pytest

from .conftest import carried_case, check_accessibility, sign_in, wait_ready

pytestmark = pytest.mark.e2e


def test_an_auditor_steps_through_a_cases_history(page, web, api_as):
    case = carried_case(api_as)
    last = case["last_event_seq"]
    sign_in(page, web, "inspector")
    page.goto(web.url(f"/app/#/case/{case['id']}/history"))
    wait_ready(page, "case-history")
    page.wait_for_selector("#case-diagram .djs-element")
    assert page.locator("main .view").get_attribute("data-seq") == str(last)
    assert page.locator("#case-diagram .path-taken").count() >= 4
    # The zoom buttons change the drawing's scale and fit it back.
    scale = "document.querySelector('#case-diagram .viewport').getAttribute('transform')"
    fitted = page.evaluate(scale)
    page.get_by_role("button", name="放大流程圖").click()
    assert page.evaluate(scale) != fitted
    page.get_by_role("button", name="流程圖符合寬度").click()
    assert page.evaluate(scale) == fitted
    check_accessibility(page, "case-history-now")

    # Back to the first event with the keyboard: only the start event is behind the case, the
    # receiving task is where it stands, and the data holds no form field yet.
    slider = page.get_by_label("歷程步驟")
    slider.focus()
    page.keyboard.press("Home")
    page.wait_for_function("() => document.querySelector('main .view').dataset.seq === '1'")
    assert page.locator('#case-diagram [data-element-id="receive_application"].current-step').count() == 1
    assert page.locator('#case-diagram [data-element-id="issue_transcript"].path-taken').count() == 0
    assert "national_id" not in page.inner_text("#step-data")
    assert "受理申請" in page.inner_text("#step-ready")
    assert page.locator('#timeline li[aria-current="step"]').get_attribute("data-seq") == "1"

    # Forward step by step until the receiving task is completed: its data appears.
    for seq in range(2, last + 1):
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"() => document.querySelector('main .view').dataset.seq === '{seq}'")
        if "national_id" in page.inner_text("#step-data"):
            break
    assert page.locator('#case-diagram [data-element-id="receive_application"].path-taken').count() == 1
    check_accessibility(page, "case-history-step")

    page.get_by_role("button", name="驗證完整性").click()
    page.wait_for_selector("#verify-result .notice.ok")
    assert f"{last}" in page.inner_text("#verify-result")


def test_a_supervisor_reads_the_dashboard_and_the_heat_map(page, web, api_as):
    case = carried_case(api_as)
    assert (
        api_as(
            "POST", f"/api/public/cases/{case['number']}/rating", json={"code": case["access_code"], "score": 4}
        ).status
        == 201
    )
    api_as("POST", "/api/cases", user="clerk", json={"procedure": "household_transcript"})  # one still open
    sign_in(page, web, "lead")
    page.get_by_role("link", name="管理儀表板").click()
    wait_ready(page, "dashboard")
    for chart in ("chart-sla", "chart-backlog", "chart-ratings"):
        assert page.locator(f"#{chart} canvas").count() == 1, chart
    assert "100" in page.get_attribute("#chart-sla-canvas", "aria-label")  # closed on time
    assert "4" in page.get_attribute("#chart-ratings-canvas", "aria-label")
    page.wait_for_selector('#heat-diagram [data-element-id="receive_application"]')
    page.wait_for_selector('.heat-badge[data-heat-for="receive_application"]')
    check_accessibility(page, "dashboard")
    page.get_by_label("指標").select_option("breach_rate")
    page.get_by_role("button", name="顯示").last.click()
    page.wait_for_selector('.heat-badge[data-heat-for="issue_transcript"]:has-text("%")')
    page.get_by_role("button", name="Switch to English").click()
    page.wait_for_selector("h1:has-text('Dashboard')")
    page.wait_for_selector('.heat-badge[data-heat-for="receive_application"]')
    check_accessibility(page, "dashboard-en")
