"""The counter queue in the browser: the kiosk issues a number, a clerk calls it to a counter and
serves it, the waiting room's display shows it; the supervisor's dashboard shows the month's
review indicators with red/amber/green. In zh-TW and in English."""

from __future__ import annotations

import pytest

from .conftest import carried_case, check_accessibility, sign_in, wait_ready

pytestmark = pytest.mark.e2e


def test_a_visitor_takes_a_number_a_clerk_calls_and_serves_it_the_display_shows_it(page, web):
    sign_in(page, web, "ticket_machine")
    wait_ready(page, "queue")
    page.get_by_role("button", name="B 謄本與印鑑證明").click()
    page.wait_for_selector("#issued-number")
    assert page.inner_text("#issued-number") == "B001" and "您前面還有 0 人" in page.inner_text("#kiosk-ticket")
    check_accessibility(page, "queue-kiosk")
    page.get_by_role("button", name="C 國民身分證").click()
    page.wait_for_selector("#issued-number:has-text('C001')")

    clerk = page.context.new_page()  # another tab: its own sign-in
    sign_in(clerk, web, "counter_clerk")
    clerk.get_by_role("link", name="叫號櫃台").click()
    wait_ready(clerk, "queue")
    clerk.get_by_label("櫃台編號").fill("3")
    clerk.get_by_role("button", name="叫下一號").click()
    clerk.wait_for_selector("#ticket-heading:has-text('B001')")
    clerk.get_by_role("button", name="開始服務").click()
    clerk.wait_for_selector("#counter-current dd:has-text('服務中')")
    check_accessibility(clerk, "queue-counter")

    display = page.context.new_page()
    display.goto(web.url("/app/#/queue/display"))
    wait_ready(display, "queue")
    display.wait_for_selector(".serving-list li[data-counter='3'] .ticket-number:has-text('B001')")
    assert "C001" in display.inner_text("li[data-service='id_card'] .next-numbers")
    check_accessibility(display, "queue-display")

    clerk.get_by_role("button", name="服務完成").click()
    clerk.wait_for_selector("#counter-current dd:has-text('已完成')")
    clerk.get_by_role("button", name="叫下一號").click()
    clerk.wait_for_selector("#ticket-heading:has-text('C001')")
    clerk.get_by_role("button", name="過號未到").click()
    clerk.wait_for_selector("#counter-current dd:has-text('過號未到')")
    display.reload()
    wait_ready(display, "queue")
    display.wait_for_selector("#now-serving-heading")
    assert display.locator(".serving-list li").count() == 0  # nobody at a counter now
    # The language is the browser's choice, for every tab: the display in English.
    page.get_by_role("button", name="B 謄本與印鑑證明").click()
    page.wait_for_selector("#issued-number:has-text('B002')")
    clerk.get_by_role("button", name="叫下一號").click()
    clerk.wait_for_selector("#ticket-heading:has-text('B002')")
    display.get_by_role("button", name="Switch to English").click()
    display.wait_for_selector("h1:has-text('Now serving')")
    display.wait_for_selector(".serving-list li[data-counter='3']:has-text('to counter 3')")
    check_accessibility(display, "queue-display-en")


def test_the_dashboard_shows_the_review_against_the_targets(page, web, api_as):
    api_as("PUT", "/api/reports/targets/breaches", user="supervisor", json={"target": 0, "amber": 2})
    # A visitor served at counter 2, another not there when called at counter 2.
    for action in ("finish", "no-show"):
        api_as("POST", "/api/queue/tickets", user="clerk", json={"service": "certificate"})
        called = api_as("POST", "/api/queue/calls", user="clerk", json={"counter": "2"}).json
        if action == "finish":
            api_as("POST", f"/api/queue/tickets/{called['id']}/start", user="clerk")
        assert api_as("POST", f"/api/queue/tickets/{called['id']}/{action}", user="clerk").status == 200
    sign_in(page, web, "lead")
    page.get_by_role("link", name="管理儀表板").click()
    wait_ready(page, "dashboard")
    page.wait_for_selector("#review-indicators")
    row = page.locator("#review-indicators tr", has_text="逾時案件數")
    assert "達成" in row.inner_text()  # no breach this month: green
    # The figures behind the indicators: the counter by counter and by hour, in the page's words.
    counter = page.locator("#review-counters tbody tr")
    assert counter.count() == 1
    assert [cell.strip() for cell in counter.first.inner_text().split("\t")][:3] == ["2 號櫃台", "2", "1"]
    assert page.locator("#review-hours tbody tr").count() == 1
    assert ":00–" in page.inner_text("#review-hours tbody tr")
    assert "此期間沒有資料" in page.inner_text("#review-complaints")  # no complaint this month
    check_accessibility(page, "dashboard-review")
    page.get_by_role("button", name="Switch to English").click()
    page.wait_for_selector("#review-indicators")
    assert "Met" in page.locator("#review-indicators tr", has_text="Breaches of the standard time").inner_text()
    assert "Counter 2" in page.inner_text("#review-counters")
    check_accessibility(page, "dashboard-review-en")


def test_the_applicant_sees_when_the_service_was_delivered_and_answers_the_survey(page, web, api_as):
    case = carried_case(api_as)
    page.goto(web.url(f"/app/#/status?number={case['number']}"))
    wait_ready(page, "status")
    page.fill("#status-code", case["access_code"])
    page.click("#look-up")
    page.wait_for_selector("#rating-form")
    facts = page.inner_text("#status-result")
    assert "如期完成服務" in facts and "完成服務時間" in facts  # judged at the service point
    page.get_by_role("group", name="評分").get_by_label("5").check()
    page.click("#submit-rating")  # after the rating, the short survey of the service type
    page.wait_for_selector("#survey-form")
    page.get_by_role("group", name="等候時間是否合理").get_by_label("5").check()
    page.get_by_role("group", name="承辦人員態度是否親切").get_by_label("4").check()
    check_accessibility(page, "status-survey")
    page.click("#submit-survey")
    page.wait_for_selector("#survey .notice.ok")
    answered = api_as("GET", f"/api/public/cases/{case['number']}/survey", query={"code": case["access_code"]}).json
    assert answered["answered"] == {"counter_waiting": 5, "counter_courtesy": 4}
