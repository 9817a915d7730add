"""The counter's journeys in the browser, asserting what the page shows at each step: a birth
registration with missing documents (notice, supplement at the counter, completion), the
responsible officer reassigned, a case found and opened, a double click on 收件, a form that
keeps what was typed. Each page is looked at in Chinese and English, with axe-core."""

from __future__ import annotations

import re
import time

import pytest

from engine import commands as cmd
from engine import files_from_folder

from ..api.online_helpers import PNG
from ..conftest import BPMN
from .conftest import check_accessibility, screenshot, sign_in, visible_text, wait_ready

pytestmark = pytest.mark.e2e

ROC_DATE = re.compile(r"民國 \d{3} 年 \d{1,2} 月 \d{1,2} 日")


@pytest.fixture
def birth(web, engine):
    engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / "birth_registration"), actor="designer"))
    return web


def redrawn(page, page_name: str, action) -> None:
    """Do ``action`` (which draws the page again) and wait until the new drawing is done, not
    the one before it."""
    page.evaluate("document.body.dataset.ready = 'false'")
    action()
    wait_ready(page, page_name)


def switch_language(page, page_name: str) -> None:
    redrawn(page, page_name, page.locator(".lang-switch").click)


def receive(page, procedure: str, name: str, national_id: str, phone: str = "") -> tuple[str, str]:
    page.get_by_role("link", name="臨櫃收件").click()
    wait_ready(page, "counter")
    page.get_by_label(re.compile("申辦項目")).select_option(procedure)
    page.get_by_label("申請人姓名").fill(name)
    page.get_by_label("身分證統一編號").fill(national_id)
    page.get_by_label("電話").fill(phone)
    page.get_by_role("button", name="收件").click()
    page.wait_for_selector("#receipt-number")
    return page.inner_text("#receipt-number").strip(), page.inner_text("#receipt-code").strip()


def wait_for_task(page, number: str, step: str) -> None:
    """From the inbox, open the case's task named ``step`` once it arrives (agency checks run in
    the background meanwhile)."""
    page.get_by_role("link", name="待辦工作", exact=True).click()
    wait_ready(page, "inbox")
    row = page.locator("#inbox-table tbody tr", has_text=number).filter(has_text=step)
    for _ in range(60):
        if row.count() == 1:
            break
        page.get_by_role("button", name="重新整理").click()
        page.wait_for_timeout(500)
    assert row.count() == 1, f"{step} of {number} did not reach the inbox"
    row.get_by_role("link", name=re.compile("開啟")).click()
    wait_ready(page, "task")


def claim(page) -> None:
    page.get_by_role("button", name="認領").click()
    page.wait_for_selector("#complete-button:not([disabled])")


def complete_task(page) -> None:
    page.get_by_role("button", name="完成").click()
    page.wait_for_selector("text=工作已完成。")


# The status form's labels: case number, access code, the button.
STATUS_FORM = {"zh": ("案件編號", "查詢碼", "查詢"), "en": ("Case number", "Access code", "Look up")}


def look_up(page, web, number: str, code: str, language: str = "zh") -> str:
    """The applicant's status page for the case (opened afresh unless ``web`` is None)."""
    if web is not None:
        page.goto(web.url("/app/#/status"))
        wait_ready(page, "status")
    number_label, code_label, button = STATUS_FORM[language]
    page.get_by_label(re.compile(number_label)).fill(number)
    page.get_by_label(re.compile(code_label)).fill(code)
    page.get_by_role("button", name=button).click()
    page.wait_for_selector("#case-status")
    return page.inner_text("#status-result")


def test_birth_registration_with_missing_documents_notice_supplement_and_completion(page, birth, api_as):
    web = birth
    sign_in(page, web, "counter_clerk")
    number, code = receive(page, "birth_registration", "王小明", "A123456789", "0912345678")
    receipt = page.inner_text(".receipt")
    # The officer is the clerk at the counter, with a number to call; dates in the ROC calendar.
    assert "陳怡君" in receipt and "(02) 2700-1234 #121" in receipt and ROC_DATE.search(receipt)
    page.click("#first-task")
    wait_ready(page, "task")

    # What the counter took down is in the reception form already.
    claim(page)
    assert page.get_by_label(re.compile("申請人姓名")).input_value() == "王小明"
    assert page.get_by_label(re.compile("身分證統一編號")).input_value() == "A123456789"
    assert page.get_by_label(re.compile("手機")).input_value() == "0912345678"
    page.get_by_label(re.compile("出生者姓名")).fill("王小華")
    page.get_by_label(re.compile("出生日期")).fill("2026-01-20")
    page.get_by_label(re.compile("性別")).select_option(label="男")
    page.get_by_label(re.compile("縣市")).fill("臺北市")
    page.get_by_label(re.compile("鄉鎮市區")).fill("大安區")
    page.get_by_label(re.compile("子女從姓")).select_option(label="從父姓")
    page.get_by_label("出生證明書").check()  # the ID card and the surname agreement are missing
    complete_task(page)

    # The one-time notice names each missing document and the deadline.
    wait_for_task(page, number, "一次告知")
    notice = page.inner_text("#task-notice")
    assert "國民身分證" in notice and "子女姓氏約定書" in notice
    assert "戶口名簿" not in page.inner_text("#task-missing")  # the household register answered for it
    assert ROC_DATE.search(page.inner_text("#task-deadline"))
    check_accessibility(page, "notice-task")
    switch_language(page, "task")
    assert "Agreement on the child's surname" in page.inner_text("#task-notice")
    assert re.search(r"Deadline: \d{1,2} [A-Z][a-z]{2} ROC \d{3}", page.inner_text("#task-deadline"))
    check_accessibility(page, "notice-task-en")
    switch_language(page, "task")
    claim(page)
    page.get_by_label(re.compile("告知方式")).select_option(label="當面告知")
    complete_task(page)

    # The applicant reads, in plain words, what is missing, by when and where to bring it.
    status = look_up(page, web, number, code)
    assert "等候您補件" in status and "國民身分證" in status and "子女姓氏約定書" in status
    assert re.search(r"辦理中步驟\s+等候您補件", status)  # not "none": it waits for the applicant
    assert "示範戶政事務所" in status and "陳怡君" in status and ROC_DATE.search(status)
    check_accessibility(page, "status-awaiting-documents")
    switch_language(page, "status")
    status = look_up(page, None, number, code, language="en")
    assert "Waiting for your documents" in status and "National ID card" in status and "Demo Household" in status
    check_accessibility(page, "status-awaiting-documents-en")
    switch_language(page, "status")

    # Back at the counter: the ID card came; the clerk records it from the case view.
    sign_in(page, web, "counter_clerk")
    page.get_by_role("link", name="案件查詢").click()
    wait_ready(page, "cases")
    page.get_by_label(re.compile("案件編號、申請人姓名")).fill(number)
    redrawn(page, "cases", page.get_by_role("button", name="查詢").click)
    page.locator("#cases-table a.case-link", has_text=number).click()
    wait_ready(page, "case")
    assert page.inner_text("#documents-missing") == "國民身分證、子女姓氏約定書"
    assert page.inner_text("#supplement-rounds") == "0"
    page.wait_for_selector("#case-diagram .current-step")
    # The card brought is scanned into the case's files (opened from here), then recorded.
    assert "此案件沒有上傳的文件檔案" in page.inner_text("#case-files")
    page.get_by_text("附加掃描檔").click()
    page.set_input_files(
        "#attach-doc-national_id_card", files=[{"name": "身分證掃描.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.locator("#attach-files").click()
    page.wait_for_selector("#case-files-table[data-count='1']")
    assert "身分證掃描.png" in page.inner_text("#case-files-table")
    page.get_by_role("button", name="開啟 身分證掃描.png").click()
    page.wait_for_function("() => document.querySelector('#file-preview img')?.naturalWidth === 160")
    check_accessibility(page, "case-awaiting-documents")
    page.locator("#supplement-form").get_by_label("國民身分證").check()
    page.click("#supplement-form-submit")
    page.wait_for_selector("text=已登錄補件。")
    assert page.inner_text("#supplement-rounds") == "1"
    assert page.inner_text("#documents-missing") == "子女姓氏約定書"
    activity = page.inner_text("#activity-list")
    assert "補件" in activity and "國民身分證" in activity
    assert "收到文件" in activity and "國民身分證: 身分證掃描.png" in activity and "event_" not in activity

    # Still one missing: a second notice for it alone, then the agreement comes too.
    page.click("#current-steps a.open-task")
    wait_ready(page, "task")
    assert page.inner_text("#task-missing") == "子女姓氏約定書"
    claim(page)
    page.get_by_label(re.compile("告知方式")).select_option(label="簡訊")
    complete_task(page)
    page.click("text=檢視整個案件")
    wait_ready(page, "case")
    page.locator("#supplement-form").get_by_label("子女姓氏約定書").check()
    page.get_by_label(re.compile("備註")).first.fill("申請人親送")
    page.click("#supplement-form-submit")
    page.wait_for_selector("text=已登錄補件。")
    assert "文件已齊備" in page.inner_text("#notice-panel") and page.inner_text("#supplement-rounds") == "2"
    check_accessibility(page, "case-documents-complete")

    # The registration, then the applicant's rating completes the case.
    page.click("#current-steps a.open-task")
    wait_ready(page, "task")
    claim(page)
    page.get_by_label(re.compile("身分證統一編號")).last.fill("A201543212")
    page.get_by_label(re.compile("戶號")).fill("A0012345")
    complete_task(page)
    status = look_up(page, web, number, code)
    assert "已辦結，歡迎評分" in status
    page.get_by_label("5").check()
    page.get_by_role("button", name="送出評分").click()
    page.wait_for_selector("text=感謝您的評分！")
    case = api_as("GET", "/api/cases", user="clerk", query={"q": number}).json["items"][0]
    assert case["status"] == "completed"
    # The clerk's view of the rating: one line, with its score.
    sign_in(page, web, "counter_clerk")
    page.goto(web.url(f"/app/#/case/{case['id']}"))
    wait_ready(page, "case")
    ratings = page.locator("#activity-list li", has_text="評分")
    assert ratings.count() == 1 and "5 分（滿分 5 分）" in ratings.inner_text()
    assert api_as("GET", f"/api/cases/{case['id']}/verify", user="auditor").json["ok"] is True


def test_a_supervisor_reassigns_the_officer(page, web, api_as):
    sign_in(page, web, "counter_clerk")
    number, code = receive(page, "household_transcript", "林美華", "A220001015")
    assert "陳怡君" in page.inner_text("#receipt-officer")

    sign_in(page, web, "lead")
    page.goto(web.url("/app/#/cases"))
    wait_ready(page, "cases")
    page.get_by_label(re.compile("案件編號、申請人姓名")).fill("林美華")
    redrawn(page, "cases", page.get_by_role("button", name="查詢").click)
    row = page.locator("#cases-table tbody tr", has_text=number)
    assert "陳怡君" in row.inner_text()
    row.locator("a.case-link").click()
    wait_ready(page, "case")
    assert page.inner_text("#case-officer").startswith("陳怡君")
    page.get_by_label(re.compile("新承辦人")).select_option(label="林志明")
    page.get_by_label(re.compile("原因")).first.fill("陳怡君休假，由林志明代理")
    check_accessibility(page, "case-reassign")
    page.click("#officer-form-submit")
    page.wait_for_selector("text=已改派承辦人。")
    assert page.inner_text("#case-officer").startswith("林志明")
    activity = page.inner_text("#activity-list")
    assert "指定承辦人" in activity and "王美玲" in activity and "陳怡君休假，由林志明代理" in activity
    switch_language(page, "case")
    assert "Officer set" in page.inner_text("#activity-list")
    check_accessibility(page, "case-reassigned-en")
    switch_language(page, "case")

    # The new officer finds the case among their own; the applicant reads the new name.
    sign_in(page, web, "second_clerk")
    page.get_by_role("link", name="待辦工作", exact=True).click()
    wait_ready(page, "inbox")
    redrawn(page, "inbox", lambda: page.click("#inbox-mine"))
    assert page.locator("#inbox-table tbody tr", has_text=number).count() == 1
    check_accessibility(page, "inbox-my-cases")
    status = look_up(page, web, number, code)
    assert "林志明" in status and "(02) 2700-1234" in status  # no direct line: the office's number


def test_search_and_open_a_case(page, web, api_as):
    started = []
    people = [("張家豪", "F131104093", "0911000111"), ("張美玲", None, None), ("李俊傑", None, "0922333444")]
    for name, national_id, phone in people + [(f"黃{number}號", None, None) for number in range(24)]:
        applicant = {"name": name, **({"national_id": national_id} if national_id else {})}
        applicant.update({"phone": phone} if phone else {})
        started.append(
            api_as(
                "POST", "/api/cases", user="clerk", json={"procedure": "household_transcript", "applicant": applicant}
            ).json
        )
    sign_in(page, web, "counter_clerk")
    page.get_by_role("link", name="案件查詢").click()
    wait_ready(page, "cases")
    assert page.locator("#cases-table tbody tr").count() == 25  # one page of 25, newest first
    # A clerk's plain list is not counted (each case is checked against the access rule): "at least".
    assert "26 件以上" in page.inner_text("#results-heading")
    redrawn(page, "cases", lambda: page.click("#next-page"))
    assert page.locator("#cases-table tbody tr").count() == 2 and "第 2 頁" in page.inner_text("#results-heading")
    redrawn(page, "cases", lambda: page.click("#previous-page"))
    assert page.locator("#cases-table tbody tr").count() == 25
    check_accessibility(page, "search-all")

    def search(text: str) -> list[str]:
        page.get_by_label(re.compile("案件編號、申請人姓名")).fill(text)
        redrawn(page, "cases", page.get_by_role("button", name="查詢").click)
        return [cell.strip() for cell in page.locator("#cases-table tbody tr td:first-child").all_inner_texts()]

    assert search("張") == [started[1]["number"], started[0]["number"]]
    assert "共 2 件" in page.inner_text("#results-heading")  # a search by a key is counted
    assert search("F131104093") == [started[0]["number"]]
    assert "F13****093" in page.inner_text("#cases-table") and "F131104093" not in visible_text(page)
    assert search("0922-333-444") == [started[2]["number"]]
    assert search("無此人") == [] and "查無符合的案件。" in page.inner_text("#search-results")
    page.get_by_label(re.compile("案件編號、申請人姓名")).fill("")
    page.get_by_label("狀態").select_option(label="辦理中")
    page.get_by_label("承辦人").select_option(label="我承辦的")
    redrawn(page, "cases", page.get_by_role("button", name="查詢").click)
    assert "查無符合的案件。" in page.inner_text("#search-results")  # the API's clerk received them
    switch_language(page, "cases")
    check_accessibility(page, "search-en")
    switch_language(page, "cases")
    assert page.get_by_label("承辦人").input_value() == "me"  # the search lives in the address
    redrawn(page, "cases", page.get_by_role("link", name="清除條件").click)

    assert search("李俊傑") == [started[2]["number"]]
    page.locator("#cases-table a.case-link").click()
    wait_ready(page, "case")
    assert page.inner_text("#case-number") == started[2]["number"]
    assert "受理申請" in page.inner_text("#current-steps")
    page.wait_for_selector("#case-diagram .current-step")
    page.get_by_label(re.compile("備註內容")).fill("申請人來電詢問進度")
    page.click("#note-form-submit")
    page.wait_for_selector("text=已新增備註。")
    assert "申請人來電詢問進度" in page.inner_text("#notes-list")
    check_accessibility(page, "case-view")
    redrawn(page, "case", lambda: page.locator(".calendar-switch").select_option("gregorian"))
    assert re.search(r"20\d\d 年 \d{1,2} 月 \d{1,2} 日", page.inner_text("#case-summary"))
    redrawn(page, "case", lambda: page.locator(".calendar-switch").select_option("roc"))
    page.locator("details", has_text="申請人撤回").locator("summary").click()
    page.get_by_label(re.compile("撤回說明")).fill("申請人表示不需要了")
    page.click("#withdraw-form-submit")
    page.wait_for_selector("text=案件已撤回。")
    assert page.inner_text("#case-status") == "申請人撤回"


def test_a_double_click_on_receive_makes_one_case_and_clears_the_form(page, web, api_as):
    posted = []
    page.on(
        "request",
        lambda request: (
            posted.append(request.headers.get("idempotency-key"))
            if request.method == "POST" and request.url.endswith("/api/cases")
            else None
        ),
    )
    sign_in(page, web, "counter_clerk")
    page.get_by_role("link", name="臨櫃收件").click()
    wait_ready(page, "counter")
    page.get_by_label(re.compile("申辦項目")).select_option("household_transcript")
    page.get_by_label("申請人姓名").fill("吳宗憲")
    page.get_by_role("button", name="收件").dblclick()
    page.wait_for_selector("#receipt-number")
    page.wait_for_timeout(500)  # a second request, had there been one, would be out by now
    cases = api_as("GET", "/api/cases", user="clerk", query={"q": "吳宗憲"}).json
    assert cases["total"] == 1 and len(set(posted)) == 1
    # Received: the form is empty for the next applicant, and says so.
    assert page.get_by_label("申請人姓名").input_value() == ""
    assert "已收件" in page.inner_text("#counter-status")
    check_accessibility(page, "counter-received")

    # The answer is lost on the way back: the clerk clicks again, the office keeps one case.
    def lose_the_answer(route):
        route.fetch()  # the server receives it and starts the case
        route.abort()

    page.route("**/api/cases", lose_the_answer)
    page.get_by_label("申請人姓名").fill("許文彬")
    page.get_by_role("button", name="收件").click()
    page.wait_for_selector("#counter-result .notice.bad")
    page.unroute("**/api/cases")
    assert page.get_by_label("申請人姓名").input_value() == "許文彬"  # nothing typed is lost
    page.get_by_role("button", name="收件").click()
    page.wait_for_selector("#receipt-number")
    assert api_as("GET", "/api/cases", user="clerk", query={"q": "許文彬"}).json["total"] == 1
    assert posted[-1] == posted[-2] != posted[0]  # one key for the form, a new one for the next


def test_a_home_visit_case_is_received_from_the_counter_page_and_its_receipt_is_sent(page, web, api_as):
    sign_in(page, web, "counter_clerk")
    page.get_by_role("link", name="臨櫃收件").click()
    wait_ready(page, "counter")
    page.get_by_label(re.compile("申辦項目")).select_option("household_transcript")
    page.get_by_label("收件管道").select_option(label="到府服務")
    assert "簡訊或電子郵件" in page.inner_text("#counter-channel-hint")
    page.get_by_label("申請人姓名").fill("李阿嬤")
    # No printed receipt at the applicant's home: without a phone or an email it is not received.
    page.get_by_role("button", name="收件").click()
    assert "請填申請人的手機或電子郵件" in page.inner_text("#counter-result")
    assert page.get_by_label("電話").get_attribute("aria-invalid") == "true"
    page.get_by_label("電話").fill("0933222111")
    page.get_by_role("button", name="收件").click()
    page.wait_for_selector("#receipt-number")
    number = page.inner_text("#receipt-number").strip()
    assert "到府服務" in page.inner_text(".receipt") and "0933222111" in page.inner_text("#receipt-sent")
    assert page.get_by_label("收件管道").input_value() == "counter"  # cleared for the next applicant
    check_accessibility(page, "counter-home-visit")
    case = api_as("GET", "/api/cases", user="clerk", query={"q": number}).json["items"][0]
    assert case["channel"] == "home_visit"
    deadline = time.monotonic() + 30  # the outbox sends the SMS in the background
    while not any(number in m["body"] for m in api_as("GET", "/api/development/messages", user="auditor").json):
        assert time.monotonic() < deadline, "the receipt SMS was not sent"
        time.sleep(0.3)
    switch_language(page, "counter")
    page.get_by_label("Channel").select_option("home_visit")
    assert "SMS or email" in page.inner_text("#counter-channel-hint")
    screenshot(page, "counter-home-visit-en")


def test_the_form_keeps_what_was_typed(page, web, api_as):
    started = api_as("POST", "/api/cases", user="clerk", json={"procedure": "household_transcript"}).json
    task_id = started["open_tasks"][0]["id"]
    sign_in(page, web, "counter_clerk")
    page.goto(web.url(f"/app/#/task/{task_id}"))
    wait_ready(page, "task")
    # Nothing can be typed before the task is claimed.
    assert page.get_by_label(re.compile("申請人姓名")).is_disabled()
    assert "請先按「認領」" in page.inner_text("main")
    claim(page)
    page.get_by_label(re.compile("申請人姓名")).fill("鄭宇翔")
    page.get_by_label(re.compile("份數")).fill("3")
    assert page.inner_text("#draft-state") == "有尚未儲存的變更"
    page.wait_for_function("() => document.getElementById('draft-state').textContent.startsWith('草稿已儲存')")
    check_accessibility(page, "task-draft-saved")

    # Away and back, released and claimed again: what was typed is still there.
    page.goto(web.url("/app/#/inbox"))
    wait_ready(page, "inbox")
    page.goto(web.url(f"/app/#/task/{task_id}"))
    wait_ready(page, "task")
    assert page.get_by_label(re.compile("申請人姓名")).input_value() == "鄭宇翔"
    assert "已帶入先前儲存的草稿" in page.inner_text("#task-messages")
    assert "陳怡君" in page.inner_text("#task-messages")  # who saved it, by name

    # Handed to a named colleague of the lane, with what was typed.
    page.get_by_text("指派給同事").click()
    page.get_by_label("指派對象").select_option(label="林志明")
    page.locator("#assign-form").get_by_role("button", name="指派").click()
    page.wait_for_selector("#task-messages >> text=已指派給 林志明。")
    assert "此工作由 林志明 處理中" in page.inner_text("main")
    sign_in(page, web, "second_clerk")
    page.goto(web.url(f"/app/#/task/{task_id}"))
    wait_ready(page, "task")
    assert page.get_by_label(re.compile("申請人姓名")).input_value() == "鄭宇翔"
    check_accessibility(page, "task-handed-over")
    page.get_by_role("button", name="退回群組").click()
    page.wait_for_selector("#claim-button")
    claim(page)
    assert page.get_by_label(re.compile("份數")).input_value() == "3"
    page.get_by_label(re.compile("身分證統一編號")).fill("N123450984")
    page.get_by_label(re.compile("謄本種類")).select_option(label="全部")
    page.get_by_role("button", name="完成").dblclick()
    page.wait_for_selector("text=工作已完成。")
    events = api_as("GET", f"/api/cases/{started['case_id']}/events", user="auditor").json
    assert [e["type"] for e in events].count("task_completed") == 1
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the task stays completed, its draft gone
        task = api_as("GET", f"/api/tasks/{task_id}", user="clerk").json
        if task["status"] == "completed":
            break
    assert task["draft"] is None
