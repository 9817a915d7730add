"""An applicant without an account applies online for a birth registration with documents, the
clerks work the case (one of them opens the uploaded files), the applicant uploads the missing
document from the status page, the case goes on to its end. What each page shows is checked at
every step, with axe-core and screenshots; then the applicant's pages in English."""

from __future__ import annotations

import hashlib
import re
import time

import pytest

from engine import commands as cmd
from engine import files_from_folder

from ..api.online_helpers import APPLICANT_ID, APPLICANT_PHONE, EXECUTABLE, JPEG, PDF, PNG, code_from
from ..conftest import BPMN
from .conftest import check_accessibility, screenshot, sign_in, wait_ready

pytestmark = pytest.mark.e2e


@pytest.fixture
def birth_online(web, engine):
    engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / "birth_registration"), actor="designer"))
    return web


def delivered_code(api_as, phone: str) -> str:
    """The code in the development mailbox (the served app's scheduler delivers the outbox)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        messages = api_as("GET", "/api/development/messages", user="auditor").json
        found = [m for m in messages if m["recipient"] == phone and m["subject"] == "驗證碼"]
        if found:
            return code_from(found[0]["body"])
        time.sleep(0.3)
    raise AssertionError(f"no code reached {phone}")


def open_task_of(api_as, case_id: str, element_id: str) -> dict:
    """The case's open task ``element_id``, once the background work has opened it."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        case = api_as("GET", f"/api/cases/{case_id}", user="clerk").json
        found = [task for task in case["open_tasks"] if task["element_id"] == element_id]
        if found:
            return found[0]
        time.sleep(0.3)
    raise AssertionError(f"{element_id} did not open: {case['open_tasks']}")


def complete(api_as, case_id: str, element_id: str, data: dict) -> None:
    task = open_task_of(api_as, case_id, element_id)
    assert api_as("POST", f"/api/tasks/{task['id']}/claim", user="clerk").status == 200
    answer = api_as("POST", f"/api/tasks/{task['id']}/complete", user="clerk", json={"data": data})
    assert answer.status == 200, answer


def verify(page, web, api_as, phone: str = APPLICANT_PHONE, shots: str = "apply") -> None:
    page.goto(web.url("/app/#/apply"))
    wait_ready(page, "apply")
    check_accessibility(page, f"{shots}-verify")
    page.get_by_label(re.compile("身分證統一編號|National ID")).fill(APPLICANT_ID)
    page.get_by_label(re.compile("手機號碼|Mobile phone")).fill(phone)
    page.locator("#send-code").click()
    page.wait_for_selector("#code-sent")
    assert phone[:4] + "***" + phone[-3:] in page.inner_text("#code-sent")
    page.locator("#verify-code").fill(delivered_code(api_as, phone))
    check_accessibility(page, f"{shots}-code")
    page.locator("#check-code").click()
    page.wait_for_selector("#offered")
    wait_ready(page, "apply")


def fill_birth_form(page) -> None:
    page.get_by_label(re.compile("申請人姓名")).fill("王小明")
    page.get_by_label(re.compile("出生者姓名")).fill("王小華")
    page.get_by_label(re.compile("出生日期")).fill("2026-01-20")
    page.get_by_label(re.compile("^性別")).select_option(label="男")
    page.get_by_label(re.compile("^縣市")).fill("臺北市")
    page.get_by_label(re.compile("鄉鎮市區")).fill("大安區")
    page.get_by_label(re.compile("醫療院所")).fill("臺大醫院")
    page.get_by_label(re.compile("子女從姓")).select_option(label="從父姓")


def test_online_application_with_upload_then_supplement_from_the_status_page_to_completion(
    page, birth_online, api_as, engine
):
    web = birth_online
    verify(page, web, api_as)
    offered = page.inner_text("#offered")
    assert "出生登記" in offered and "戶籍謄本申請" in offered and "1 工作天" in offered  # online: the next working day
    assert "A12****789" in page.inner_text("#verified-as") and "0912***678" in page.inner_text("#verified-as")
    check_accessibility(page, "apply-choose")

    # The counter's form, less what the office fills (the verified ID and phone, the document list).
    page.get_by_role("link", name="出生登記").click()
    wait_ready(page, "apply")
    assert page.inner_text("h1") == "線上申辦：出生登記"
    assert page.get_by_label(re.compile("身分證統一編號")).count() == 0
    assert page.get_by_label(re.compile("^手機")).count() == 0
    fill_birth_form(page)
    # A "PDF" that is a program: the page names the file the server refused.
    page.set_input_files(
        "#apply-doc-birth_certificate",
        files=[{"name": "出生證明.pdf", "mimeType": "application/pdf", "buffer": EXECUTABLE}],
    )
    page.set_input_files(
        "#apply-doc-national_id_card", files=[{"name": "身分證.png", "mimeType": "image/png", "buffer": PNG}]
    )
    assert "身分證.png" in page.inner_text("#apply-doc-national_id_card-files")
    page.locator("#submit-application").click()
    page.wait_for_selector("#apply-errors .notice.bad")
    refused = page.inner_text("#apply-errors")
    assert "「出生證明.pdf」不是 PDF、JPEG 或 PNG 檔（依檔案內容判斷，與檔名無關）" in refused
    check_accessibility(page, "apply-file-refused")

    page.set_input_files(
        "#apply-doc-birth_certificate", files=[{"name": "出生證明.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.locator("#submit-application").click()
    page.wait_for_selector("#receipt-number")
    assert page.inner_text("h1") == "已收到您的申請"
    assert "收據已傳送至 0912***678" in page.inner_text("main")
    receipt = page.inner_text(".receipt")
    assert "網路" in receipt and "出生證明.pdf" in receipt and "身分證.png" in receipt
    assert "(02) 2700-1234" in page.inner_text("#receipt-office")  # whom to call
    assert hashlib.sha256(PDF).hexdigest()[:12] in receipt
    number, code = page.inner_text("#receipt-number").strip(), page.inner_text("#receipt-code").strip()
    check_accessibility(page, "apply-receipt")

    # The receipt went out by SMS too, with the number and the access code.
    deadline = time.monotonic() + 30
    while not any(number in m["body"] for m in api_as("GET", "/api/development/messages", user="auditor").json):
        assert time.monotonic() < deadline, "the receipt SMS was not delivered"
        time.sleep(0.3)

    case = next(c for c in api_as("GET", "/api/cases", user="clerk").json["items"] if c["number"] == number)
    case_id = case["id"]
    assert case["channel"] == "online"

    # A clerk reviews the online application and opens the uploaded files in the task page.
    clerk = page.context.new_page()
    sign_in(clerk, web, "counter_clerk")
    review = open_task_of(api_as, case_id, "review_online_application")
    clerk.goto(web.url(f"/app/#/task/{review['id']}"))
    wait_ready(clerk, "task")
    files = clerk.inner_text("#case-files-table")
    assert "出生證明.pdf" in files and "身分證.png" in files and "PDF" in files and "PNG" in files
    clerk.get_by_role("button", name="開啟 身分證.png").click()
    image = clerk.locator("#file-preview img")
    image.wait_for()
    clerk.wait_for_function("() => document.querySelector('#file-preview img').naturalWidth === 160")
    assert image.get_attribute("alt") == "國民身分證: 身分證.png"
    with clerk.context.expect_page() as opened:  # a PDF opens in the browser's own viewer
        clerk.get_by_role("button", name="開啟 出生證明.pdf").click()
    assert opened.value.url.startswith("blob:")
    opened.value.close()
    # A clerk can attach a scan too (made at the counter, or on a home visit).
    clerk.get_by_text("附加掃描檔").click()
    clerk.set_input_files(
        "#attach-doc-national_id_card", files=[{"name": "掃描.jpg", "mimeType": "image/jpeg", "buffer": JPEG}]
    )
    clerk.locator("#attach-files").click()
    clerk.wait_for_selector("#case-files-table[data-count='3']")
    assert "掃描.jpg" in clerk.inner_text("#case-files-table") and "臨櫃掃描" in clerk.inner_text("#case-files-table")
    check_accessibility(clerk, "clerk-task-files")
    clerk.close()

    complete(
        api_as,
        case_id,
        "review_online_application",
        {"online_review": {"signed_with": "one_time_code", "reviewed_on": "2026-03-02"}},
    )
    # The clerk's form takes the case's data as it is: national ID numbers in full (a recorded read).
    received = api_as("GET", f"/api/cases/{case_id}", user="clerk", query={"unmask": "true"}).json["data"]
    assert received["documents_presented"] == ["birth_certificate", "national_id_card"]
    form_fields = ("national_id", "applicant_name", "child_name", "child_birth_date", "child_sex", "birth_place")
    complete(
        api_as,
        case_id,
        "receive_application",
        {key: received[key] for key in (*form_fields, "surname_from", "applicant_phone", "documents_presented")},
    )
    complete(api_as, case_id, "issue_notice", {"notice_delivered_by": "sms"})  # after the register check

    # The applicant's status page says what is missing and by when, and takes the upload.
    page.goto(web.url(f"/app/#/status?number={number}"))
    wait_ready(page, "status")
    page.get_by_label(re.compile("查詢碼")).fill(code)
    page.get_by_role("button", name="查詢").click()
    page.wait_for_selector("#supplement-missing")
    missing = page.inner_text("#supplement-missing")
    assert "子女姓氏約定書" in missing and "出生證明書" not in missing and "前補正" in missing
    assert "出生證明.pdf" in page.inner_text("#received-documents")
    check_accessibility(page, "status-supplement")
    page.set_input_files(
        "#supplement-doc-surname_agreement",
        files=[{"name": "約定書.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.locator("#submit-supplement").click()
    page.wait_for_selector("text=已收到 1 個檔案，案件繼續辦理。")
    # The live region says it first; the status is drawn again a moment later.
    page.wait_for_selector("#supplement", state="detached")  # nothing is missing any more
    assert "約定書.pdf" in page.inner_text("#received-documents")
    check_accessibility(page, "status-after-supplement")

    # The clerk registers the birth; the applicant rates; the case is done and its history verifies.
    complete(api_as, case_id, "register_birth", {"child_national_id": "A201543212", "household_number": "A0012345"})
    page.get_by_role("button", name="查詢").click()
    page.wait_for_selector("#rating-form")
    page.locator("label[for=score-5]").click()
    page.get_by_role("button", name="送出評分").click()
    page.wait_for_selector("text=感謝您的評分！")
    page.get_by_role("button", name="查詢").click()
    page.wait_for_selector("#case-status:has-text('已完成')")
    check_accessibility(page, "status-completed-online")
    history = api_as("GET", f"/api/cases/{case_id}/events", user="auditor").json
    attached = [event["payload"] for event in history if event["type"] == "document_attached"]
    assert [item["file_name"] for item in attached] == ["出生證明.pdf", "身分證.png", "掃描.jpg", "約定書.pdf"]
    assert attached[3]["sha256"] == hashlib.sha256(PDF).hexdigest() and attached[3]["occasion"] == "supplement"
    assert [e["actor"] for e in history if e["type"] == "document_attached"] == ["applicant"] * 2 + [
        "counter_clerk"
    ] + ["applicant"]
    assert api_as("GET", f"/api/cases/{case_id}/verify", user="auditor").json["ok"] is True


def test_the_online_pages_in_english(page, birth_online, api_as):
    web = birth_online
    page.goto(web.url("/app/#/apply"))
    wait_ready(page, "apply")
    page.locator(".lang-switch").click()
    wait_ready(page, "apply")
    assert page.inner_text("h1") == "Apply online"
    verify(page, web, api_as, phone="0922333444", shots="apply-en")
    assert "Birth registration" in page.inner_text("#offered")
    page.get_by_role("link", name="Birth registration").click()
    wait_ready(page, "apply")
    assert page.inner_text("h1") == "Apply online: Birth registration"
    assert "Upload documents" in page.inner_text("main") and "Birth certificate" in page.inner_text("main")
    page.locator("#submit-application").click()  # empty: the page names the missing fields in English
    assert "required" in page.inner_text("#apply-errors")
    check_accessibility(page, "apply-en-form")
    screenshot(page, "apply-en-form-errors")
