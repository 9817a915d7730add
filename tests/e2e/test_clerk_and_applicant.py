"""A clerk receives a case at the counter and completes it; the applicant checks status and rates."""

from __future__ import annotations

import re
import time

import pytest

from .conftest import check_accessibility, sign_in, wait_ready

pytestmark = pytest.mark.e2e


def receive_at_counter(page, web) -> tuple[str, str]:
    sign_in(page, web, "counter_clerk")
    check_accessibility(page, "inbox-empty")
    page.get_by_role("link", name="臨櫃收件").click()
    wait_ready(page, "counter")
    page.get_by_label("申辦項目").select_option("household_transcript")
    page.get_by_label("申請人姓名").fill("王小明")
    page.get_by_label("身分證統一編號").fill("A123456789")
    page.get_by_role("button", name="收件").click()
    page.wait_for_selector("#receipt-number")
    receipt = page.inner_text(".receipt")
    assert "15 分鐘" in receipt and "A12****789" in receipt  # the standard time at the counter; the ID masked
    # Who is responsible (the clerk at the counter), when it is due, in the office's calendar.
    assert "陳怡君" in receipt
    assert re.search(r"預定完成\s+民國 \d{3} 年 \d{1,2} 月 \d{1,2} 日 \d{2}:\d{2}", receipt)
    assert "臨櫃" in receipt and "counter" not in receipt.replace("counter_clerk", "")
    check_accessibility(page, "counter-receipt")
    return page.inner_text("#receipt-number").strip(), page.inner_text("#receipt-code").strip()


def test_a_clerk_receives_a_case_at_the_counter_and_completes_it(page, web):
    number, code = receive_at_counter(page, web)
    assert re.fullmatch(r"\S+", number) and code

    # The inbox lists the new task, with its SLA state at a glance.
    page.get_by_role("link", name="待辦工作", exact=True).click()
    wait_ready(page, "inbox")
    row = page.locator("#inbox-table tbody tr", has_text=number)
    assert row.count() == 1 and "戶籍謄本申請" in row.inner_text()  # the procedure by its name
    assert row.locator(".badge").inner_text() in ("如期", "今日到期", "逾期")
    check_accessibility(page, "inbox")
    row.get_by_role("link", name=re.compile("^開啟")).click()
    wait_ready(page, "task")

    # The task page: case summary, the form from the JSON Schema; complete needs a claim first.
    assert page.locator("#complete-button").is_disabled()
    assert page.get_by_label(re.compile("身分證統一編號")).is_disabled()  # claim first, then type
    page.get_by_role("button", name="認領").click()
    page.wait_for_selector("#complete-button:not([disabled])")
    assert page.evaluate("document.activeElement.id").startswith("task-")  # focus on the form's first field
    # What the counter took down is in the form already.
    assert page.get_by_label(re.compile("申請人姓名")).input_value() == "王小明"
    # Client-side validation as on the server: a wrong ID and 0 copies are refused in the page.
    page.get_by_label(re.compile("身分證統一編號")).fill("a12345")
    page.get_by_label(re.compile("份數")).fill("0")
    page.get_by_role("button", name="完成").click()
    summary = page.locator("#form-error-summary")
    # Each error names its field as the form labels it, and leads there.
    assert "身分證統一編號" in summary.inner_text() and "份數" in summary.inner_text()
    summary.get_by_role("link", name=re.compile("份數")).click()
    assert page.evaluate("document.activeElement.id") == page.get_by_label(re.compile("份數")).get_attribute("id")
    assert page.get_by_label(re.compile("份數")).get_attribute("aria-invalid") == "true"
    check_accessibility(page, "task-form-errors")

    page.get_by_label(re.compile("身分證統一編號")).fill("A123456789")
    page.get_by_label(re.compile("申請人姓名")).fill("王小明")
    page.get_by_label(re.compile("謄本種類")).select_option(
        label="全部"
    )  # the option code "full", as the clerk reads it
    page.get_by_label(re.compile("份數")).fill("2")
    page.get_by_role("button", name="完成").click()
    page.wait_for_selector("text=工作已完成。")
    assert "null" not in page.inner_text("main")  # no next step of hers yet: nothing in its place

    # The register check runs in the background (agency simulator); then the issue task arrives.
    page.get_by_role("link", name="待辦工作", exact=True).click()
    wait_ready(page, "inbox")
    row = page.locator("#inbox-table tbody tr", has_text=number)
    for _ in range(60):
        page.get_by_role("button", name="重新整理").click()
        page.wait_for_timeout(500)
        if row.count() == 1:
            break
    assert row.count() == 1, "the issue task did not reach the inbox"
    row.get_by_role("link", name=re.compile("^開啟")).click()
    wait_ready(page, "task")
    page.get_by_role("button", name="認領").click()
    page.wait_for_selector("#complete-button:not([disabled])")
    # The household register's answer, in words (not JSON): the record matches and is active.
    evidence = page.locator("section[aria-labelledby=evidence-heading]").inner_text()
    assert "戶籍資料查驗" in evidence and "資料相符\n是" in evidence and "戶籍狀態\n現住" in evidence
    check_accessibility(page, "task-issue")
    page.get_by_label(re.compile("規費")).fill("15")
    page.get_by_role("button", name="完成").click()
    page.wait_for_selector("text=工作已完成。")
    page.get_by_role("link", name="待辦工作", exact=True).click()
    wait_ready(page, "inbox")
    assert page.locator("#inbox-table tbody tr", has_text=number).count() == 0

    # The case view: every step done, the case waits for the applicant's rating.
    page.get_by_role("link", name="案件查詢").click()
    wait_ready(page, "cases")
    page.get_by_label(re.compile("案件編號、申請人姓名")).fill(number)
    page.evaluate("document.body.dataset.ready = 'false'")  # the results are drawn again
    page.get_by_role("button", name="查詢").click()
    wait_ready(page, "cases")
    page.locator("#cases-table a.case-link").click()
    wait_ready(page, "case")
    assert "等候申請人評分" in page.inner_text("#current-steps")
    activity = page.inner_text("#activity-list")
    assert activity.count("完成步驟") == 2 and "機關查驗回覆" in activity
    check_accessibility(page, "case-transcript-served")


def serve_the_transcript(api_as, case_id: str) -> None:
    """Another desk serves the case over the API: reception, the register check, the issue."""
    steps = {
        "receive_application": {"national_id": "A123456789", "applicant_name": "王小明", "scope": "full", "copies": 1},
        "issue_transcript": {"fee_paid": 15},
    }
    for _ in range(120):  # the register check runs in the background between the two steps
        open_tasks = api_as("GET", f"/api/cases/{case_id}", user="clerk").json["open_tasks"]
        if not open_tasks and not steps:
            return
        for task in open_tasks:
            data = steps.pop(task["element_id"])
            completed = api_as("POST", f"/api/tasks/{task['id']}/complete", user="clerk", json={"data": data})
            assert completed.status == 200, completed.json
        time.sleep(0.25)
    raise AssertionError(f"the transcript was not served; steps left: {sorted(steps)}")


def test_an_applicant_checks_the_status_and_rates(page, web, api_as):
    started = api_as(
        "POST", "/api/cases", user="clerk", json={"procedure": "household_transcript", "applicant": {"name": "林美華"}}
    ).json
    page.goto(web.url("/app/#/status"))
    wait_ready(page, "status")
    page.get_by_label(re.compile("案件編號")).fill(started["number"])
    page.get_by_label(re.compile("查詢碼")).fill("WRONG")
    page.get_by_role("button", name="查詢").click()
    page.wait_for_selector("text=查無此案件編號與查詢碼。")
    # Keyboard only: from the page's heading, Tab walks the form in reading order; Enter sends it.
    page.goto(web.url("/app/#/login"))
    page.goto(web.url("/app/#/status"))
    wait_ready(page, "status")
    focus_order = []
    for _ in range(3):
        page.keyboard.press("Tab")
        focus_order.append(page.evaluate("document.activeElement.id"))
    assert focus_order == ["status-number", "status-code", "look-up"]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.type(started["number"])
    page.keyboard.press("Tab")
    page.keyboard.type(started["access_code"])
    page.keyboard.press("Enter")
    page.wait_for_selector("#case-status")
    assert page.evaluate("document.activeElement.id") == "case-status-heading"
    assert page.inner_text("#case-status") == "辦理中"
    assert page.locator("#rating-form").count() == 0  # rated once the service is done
    page.wait_for_selector("text=案件辦結後即可評分。")
    check_accessibility(page, "public-status")
    serve_the_transcript(api_as, started["case_id"])

    # The English switch: the page is rendered again in English, <html lang> follows.
    page.get_by_role("button", name="Switch to English").click()
    wait_ready(page, "status")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.get_by_label(re.compile("Case number")).fill(started["number"])
    page.get_by_label(re.compile("Access code")).fill(started["access_code"])
    page.get_by_role("button", name="Look up").click()
    page.wait_for_selector("#rating-form")
    page.get_by_label("4").check()
    page.get_by_label(re.compile("Comment")).fill("快速又親切")
    page.get_by_role("button", name="Send rating").click()
    page.wait_for_selector("text=Thank you for your rating!")
    check_accessibility(page, "public-rated")
    rated = api_as("GET", f"/api/public/cases/{started['number']}", query={"code": started["access_code"]}).json
    assert rated["rated"] is True
