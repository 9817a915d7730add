"""A supervisor opens the dashboard on the current month, drills from the overdue figure down to
the breached case, and finds the delay in the follow-up queue with its context."""

from __future__ import annotations

import pytest

from engine import accounts
from engine import commands as cmd
from engine.storage import User

from ..engine.helpers import RECEIVE, complete, open_task, start
from .conftest import carried_case, check_accessibility, sign_in, wait_ready

pytestmark = pytest.mark.e2e


def test_a_supervisor_drills_from_the_breach_figure_to_the_case(page, web, api_as, engine, clock):
    # A case received months ago (the test's own clock) whose standard time passed: its SLA
    # timer opened the delay review, and it is still open.
    breached = start(engine)
    complete(engine, breached.case_id, "receive_application", RECEIVE)
    clock.advance(hours=5)
    engine.handle(cmd.FireDueTimers(breached.case_id))
    assert open_task(engine, breached.case_id, "review_delay")
    number = api_as("GET", f"/api/cases/{breached.case_id}", user="supervisor").json["number"]
    api_as("POST", "/api/cases", user="clerk", json={"procedure": "household_transcript"})  # open, on time

    sign_in(page, web, "lead")
    page.get_by_role("link", name="管理儀表板").click()
    wait_ready(page, "dashboard")
    first = page.get_by_label("期間起日").input_value()
    last = page.get_by_label("期間迄日").input_value()
    assert first.endswith("-01") and first[:7] == last[:7]  # the current month, so far
    page.wait_for_selector("#review-indicators")
    assert page.get_by_label("月份").input_value() == first[:7]  # the review's month, shown
    figure = page.locator("#chart-backlog")
    assert "戶籍謄本" in figure.inner_text()  # the procedure by name, not its key
    check_accessibility(page, "dashboard-drill")

    # The overdue figure of the transcript: one case; it opens the cases behind it.
    overdue = page.locator('[data-drill="chart-backlog:household_transcript:1"]')
    assert overdue.inner_text() == "1"
    overdue.click()
    wait_ready(page, "audit")
    assert page.get_by_label("只列逾期未結案件").is_checked()
    assert page.locator("main .view").get_attribute("data-listed") == "1"
    assert number in page.inner_text("#audit-table")
    page.get_by_role("link", name=f"檢視 {number}").click()
    wait_ready(page, "case")
    assert number in page.inner_text("h1")
    # The late case goes to another officer, with the reason on its record.
    page.get_by_label("新承辦人").select_option(label="林志明")
    page.get_by_label("原因 (必填)", exact=True).fill("原承辦人請假，改由林志明接辦")
    page.get_by_role("button", name="確定改派").click()
    page.wait_for_function("() => document.querySelector('#case-officer')?.textContent.includes('林志明')")
    assert (
        api_as("GET", f"/api/cases/{breached.case_id}", user="supervisor").json["officer"]["username"] == "second_clerk"
    )

    # The follow-up queue: the delay to review, with the step that was late and by how much.
    page.get_by_role("link", name="追蹤佇列").click()
    wait_ready(page, "queues")
    row = page.locator("#breach-queue tbody tr")
    assert row.count() == 1
    assert number in row.inner_text() and "核發謄本" in row.inner_text() and "天" in row.inner_text()
    assert number in page.inner_text("#overdue-cases") and "林志明" in page.inner_text("#overdue-cases")
    assert page.get_by_role("link", name="改派 林志明 的工作").get_attribute("href") == "#/reassign?from=second_clerk"
    # The delay review, not claimed by anyone, is given to a supervisor.
    page.get_by_role("button", name="交付").click()
    assert page.inner_text("#hand-failure") == "請先勾選要交付的追蹤工作。"
    page.get_by_label(f"選取 {number} 的追蹤工作").check()
    page.get_by_label("改派給").select_option(label="王美玲")
    page.get_by_role("button", name="交付").click()
    page.wait_for_selector("#hand-results-table")
    assert "已改派 1／1 件給 王美玲。" in page.inner_text("#hand-results")
    assert "王美玲" in page.inner_text("#breach-queue tbody tr")
    review = open_task(engine, breached.case_id, "review_delay")
    assert api_as("GET", f"/api/tasks/{review.id}", user="supervisor").json["assignee"] == "lead"
    check_accessibility(page, "queues")
    # Incidents have their own page (retry, cancel): the follow-ups say how many are open.
    page.get_by_role("link", name="異常事件：0 件待處理（重試或取消）").click()
    wait_ready(page, "incidents")
    assert "異常事件" in page.inner_text("h1")
    page.go_back()
    wait_ready(page, "queues")
    page.get_by_role("link", name=f"檢視逾時 {number}").click()
    wait_ready(page, "task")
    context = page.inner_text("#follow-up-context")  # the task carries its context beside the form
    assert "核發謄本" in context and "天" in context
    assert "逾時原因" in page.inner_text("main")
    check_accessibility(page, "delay-review-task")

    page.get_by_role("button", name="English").click()
    wait_ready(page, "task")
    page.goto(web.url("/app/#/queues"))
    wait_ready(page, "queues")
    assert "Delays to review (1)" in page.inner_text("main")
    check_accessibility(page, "queues-en")


def test_a_low_rating_reaches_the_supervisor_with_its_context(page, web, api_as):
    applicant = {"name": "王小明", "phone": "0912345678", "email": "wang@example.tw"}
    case = carried_case(api_as, applicant=applicant)
    rating = {"code": case["access_code"], "score": 1, "comment": "等了兩個小時"}
    assert api_as("POST", f"/api/public/cases/{case['number']}/rating", json=rating).status == 201
    sign_in(page, web, "lead")
    page.goto(web.url("/app/#/queues"))
    wait_ready(page, "queues")
    row = page.inner_text("#rating-queue tbody tr")
    assert case["number"] in row and "等了兩個小時" in row and "0912345678" in row and "wang@example.tw" in row
    page.get_by_role("link", name=f"追蹤 {case['number']}").click()
    wait_ready(page, "task")
    context = page.inner_text("#follow-up-context")
    assert "1" in context and "等了兩個小時" in context and "0912345678" in context
    check_accessibility(page, "low-rating-task")


def test_a_supervisor_hands_a_colleagues_cases_and_tasks_to_another_at_once(page, web, api_as, engine):
    with engine.write() as session:  # 陳怡君 receives three cases at the counter and takes up one
        user = session.query(User).filter_by(username="counter_clerk").one()
        token, _ = accounts.issue_token(session, user, now=engine.clock.now(), lifetime=None)
    body = {"procedure": "household_transcript"}
    started = [api_as("POST", "/api/cases", user=token, json=body).json for _ in range(3)]
    held = started[0]["open_tasks"][0]
    assert api_as("POST", f"/api/tasks/{held['id']}/claim", user=token).status == 200

    def officer(case):
        return (api_as("GET", f"/api/cases/{case['case_id']}", user="supervisor").json["officer"] or {}).get("username")

    sign_in(page, web, "lead")
    page.goto(web.url("/app/#/queues"))
    wait_ready(page, "queues")
    page.get_by_role("link", name="改派承辦人與工作（含批次）").click()
    wait_ready(page, "reassign")
    page.get_by_label("目前承辦的同仁").select_option(label="陳怡君")
    page.get_by_role("button", name="列出").click()
    page.wait_for_selector("#reassign-cases")
    assert "陳怡君 承辦中的案件（3）" in page.inner_text("main") and "陳怡君 手上的工作（1）" in page.inner_text("main")
    assert all(case["number"] in page.inner_text("#reassign-cases") for case in started)
    assert started[0]["number"] in page.inner_text("#reassign-tasks")
    check_accessibility(page, "reassign")

    # One case is left with her; one is closed by the counter meanwhile: it cannot move, the rest do.
    page.get_by_label(f"改派案件 {started[2]['number']}").uncheck()
    closed = started[1]
    cancel = {"reason": "申請人撤回"}
    assert api_as("POST", f"/api/cases/{closed['case_id']}/cancel", user="supervisor", json=cancel).status == 200
    page.get_by_role("button", name="改派勾選的 3 件").click()
    assert page.inner_text("#reassign-failure") == "改派給: 此欄位必填；原因: 此欄位必填"  # nothing sent
    assert officer(started[0]) == "counter_clerk"
    page.get_by_label("改派給 (必填)").select_option(label="林志明")
    page.get_by_label("原因 (必填)").fill("陳怡君休假一週")
    page.get_by_role("button", name="改派勾選的 3 件").click()
    page.wait_for_selector("#reassign-results-table")
    results = page.inner_text("#reassign-results")
    assert "已改派 2／3 件給 林志明。" in results
    rows = {row.split("\t")[0]: row for row in page.inner_text("#reassign-results-table tbody").splitlines()}
    assert "已改派" in rows[started[0]["number"]] and "未改派" in rows[closed["number"]]
    check_accessibility(page, "reassign-done")
    # What moved is done with: choosing all again takes only the two cases still with her.
    page.locator("#pick-all-cases").uncheck()
    page.locator("#pick-all-cases").check()
    assert page.locator("#reassign-button").inner_text() == "改派勾選的 2 件"

    assert [officer(case) for case in started] == ["second_clerk", "counter_clerk", "counter_clerk"]
    task = api_as("GET", f"/api/tasks/{held['id']}", user="supervisor").json
    assert task["assignee"] == "second_clerk"

    page.get_by_role("button", name="English").click()
    wait_ready(page, "reassign")
    page.get_by_label("Colleague whose work to hand over").select_option(label="林志明")
    page.get_by_role("button", name="List").click()
    # The Chinese listing is on the page until the English one replaces it: wait for the latter.
    page.get_by_text("Cases 林志明 is responsible for (1)").wait_for()
    assert "Tasks 林志明 holds (1)" in page.inner_text("main")
    check_accessibility(page, "reassign-en")
