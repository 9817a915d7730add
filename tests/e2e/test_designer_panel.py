"""A designer works through the properties panel: sets a timer from the office calendar and a
form (previewed) without touching XML, sees a finding appear on the element as the diagram
changes and go when it is fixed, deploys after reading the findings and the changes, and moves
running cases to the new version with the wizard."""

from __future__ import annotations

import pytest

from .conftest import check_accessibility, sign_in, wait_ready

pytestmark = pytest.mark.e2e

KEY = "household_transcript"


def _open_group(page, group: str) -> None:
    header = page.locator(f'[data-group-id="group-{group}"] .bio-properties-panel-group-header')
    if "open" not in (header.get_attribute("class") or ""):
        header.click()


def _select(page, element_id: str, where=(0.5, 0.5)) -> None:
    """Select a shape by a point of it (a task's middle may be crossed by a flow: pick another)."""
    shape = page.locator(f'#modeler [data-element-id="{element_id}"] .djs-hit').first
    box = shape.bounding_box()
    shape.click(position={"x": box["width"] * where[0], "y": box["height"] * where[1]}, force=True)
    page.wait_for_selector('#properties-panel [data-group-id="group-general"]')
    page.wait_for_function(
        f"() => document.querySelector('#modeler [data-element-id=\"{element_id}\"]').classList.contains('selected')"
    )


def _checked_after(page, before: str) -> str:
    """Wait for the live check that follows an edit; return its mark."""
    page.wait_for_function(f"() => document.querySelector('main .view').dataset.checked !== '{before}'")
    page.wait_for_function("() => !document.querySelector('#live-check').textContent.includes('…')")
    return page.locator("main .view").get_attribute("data-checked")


def test_a_designer_sets_a_timer_and_a_form_deploys_and_moves_cases(page, web, api_as):
    waiting = [api_as("POST", "/api/cases", user="clerk", json={"procedure": KEY}).json for _ in range(2)]
    sign_in(page, web, "modeller")
    page.goto(web.url(f"/app/#/designer?key={KEY}"))
    wait_ready(page, "designer")
    page.wait_for_selector('#modeler [data-element-id="issue_overdue"]')
    page.wait_for_function("() => !!document.querySelector('main .view').dataset.checked")

    # The timer: working days from the office calendar, marked as the SLA timer.
    _select(page, "issue_overdue")
    _open_group(page, "onestop-timer")
    assert page.get_by_label("運算式").input_value() == "sla_due_at"
    mark = page.locator("main .view").get_attribute("data-checked")
    page.get_by_label("依辦公日曆計算").select_option("working_days_after")
    page.get_by_label("天數或時數").fill("3")
    page.get_by_label("SLA 計時器（逾時即通知）").check()
    page.wait_for_function(
        "() => document.querySelector('#properties-panel input[name=onestop-timer-expression]')"
        " ?.value === 'working_days_after(3)'"
    )
    mark = _checked_after(page, mark)
    assert page.locator('.finding-badge.error[data-finding-for="issue_overdue"]').count() == 0
    check_accessibility(page, "designer-panel-timer")

    # A mistake in the expression: the server's check puts an error on the timer, live...
    page.get_by_label("運算式").fill("working_days_after(")
    page.wait_for_selector('.finding-badge.error[data-finding-for="issue_overdue"]')
    _open_group(page, "onestop-findings")
    assert "timeDate" in page.inner_text('[data-findings-for="issue_overdue"]')
    # ...and takes it away once fixed.
    page.get_by_label("運算式").fill("working_days_after(3)")
    page.wait_for_function("() => !document.querySelector('.finding-badge.error[data-finding-for=issue_overdue]')")
    assert "此元素沒有發現問題" in page.inner_text('[data-findings-for="issue_overdue"]')

    # The delay review's form, chosen among the procedure's files: without it the form file is
    # used by no task (a finding appears), with it again the finding goes; then its preview.
    _select(page, "review_delay", where=(0.2, 0.8))
    _open_group(page, "onestop-form")
    form = page.get_by_label("表單（JSON Schema）")
    assert form.input_value() == "review_delay.schema.json"
    form.select_option("")
    page.wait_for_selector("#findings-table :text('review_delay.schema.json')")
    form.select_option("review_delay.schema.json")
    page.wait_for_function(
        "() => !document.querySelector('#findings-table')?.textContent.includes('review_delay.schema.json')"
    )
    page.get_by_role("button", name="預覽表單").click()
    page.wait_for_selector("#form-preview h2")
    assert "review_delay.schema.json" in page.inner_text("#form-preview h2")
    assert page.locator("#form-preview select, #form-preview input, #form-preview textarea").count() >= 2
    check_accessibility(page, "designer-form-preview")

    # Deploy: the dialog lists the warnings and the changes; deploy needs the acknowledgement.
    page.get_by_role("button", name="部署新版本").click()
    dialog = page.locator("#deploy-dialog")
    dialog.wait_for()
    changes = page.inner_text("#deploy-diff")
    assert "issue_overdue" in changes and "review_delay" not in changes
    assert "working_days_after(3)" in changes
    # Each change as lines of the element's inside: the old timer gone (−), the new one (+).
    lines = page.locator("#deploy-diff .diff-changes li").all_inner_texts()
    assert any(line.endswith("+ timeDate[type='bpmn:tFormalExpression']: working_days_after(3)") for line in lines)
    assert any(line.endswith("− timeDate[]: sla_due_at") for line in lines), lines
    confirm = page.get_by_role("button", name="確認部署")
    assert confirm.is_disabled()
    check_accessibility(page, "designer-deploy-dialog")
    page.get_by_label("仍要部署").check()
    confirm.click()
    page.wait_for_selector("#designer-messages .notice.ok")
    assert page.locator("#deploy-dialog").count() == 0
    assert page.locator("#versions-table tbody tr").count() == 2
    deployed = api_as("GET", f"/api/definitions/{KEY}/versions/2/bpmn", user="designer").body.decode()
    assert "working_days_after(3)" in deployed
    assert 'name="slaTimer" value="true"' in deployed
    assert 'value="review_delay.schema.json"' in deployed

    # Move the running cases: both can move; move one, and see the outcome.
    page.get_by_role("link", name="將案件移到版本 2").click()
    page.get_by_role("button", name="預覽", exact=True).click()
    page.wait_for_selector("#move-preview-table")
    assert "2 件可以移動，0 件不行" in page.inner_text("#move-summary")
    assert "receive_application「受理申請 Receive application」" in page.inner_text("#move-preview-table")
    assert "null" not in page.inner_text("#moves")
    keep, move = waiting
    page.get_by_label(f"移動案件 {keep['number']}").uncheck()
    page.get_by_label("移動理由").fill("計時器改以工作天計")
    check_accessibility(page, "designer-move-preview")
    page.get_by_role("button", name="移動選取的案件").click()
    page.wait_for_selector("#move-result-table")
    assert "已移動 1 件到版本 2" in page.inner_text("#moves")
    assert move["number"] in page.inner_text("#move-result-table")
    assert api_as("GET", f"/api/cases/{move['case_id']}", user="auditor").json["version"] == 2
    assert api_as("GET", f"/api/cases/{keep['case_id']}", user="auditor").json["version"] == 1
    check_accessibility(page, "designer-moved")


def test_errors_block_the_deploy(page, web, api_as):
    sign_in(page, web, "modeller")
    page.goto(web.url(f"/app/#/designer?key={KEY}"))
    wait_ready(page, "designer")
    page.wait_for_function("() => !!document.querySelector('main .view').dataset.checked")
    # Deleting the flow into the rating step: the rating can no longer be reached, an error on
    # the elements and a check that says the diagram cannot be deployed; undoing it clears both.
    mark = page.locator("main .view").get_attribute("data-checked")
    page.locator('#modeler [data-element-id="flow_issued"] .djs-hit').first.click(force=True)
    page.keyboard.press("Delete")
    assert page.locator('#modeler [data-element-id="flow_issued"]').count() == 0
    mark = _checked_after(page, mark)
    assert page.locator('.finding-badge.error[data-finding-for="rate_service"]').count() == 1
    page.get_by_role("button", name="檢查", exact=True).click()
    page.wait_for_selector("#designer-messages .notice.bad")
    assert "退回" in page.inner_text("#designer-messages") and "可執行" not in page.inner_text("#designer-messages")
    assert "rate_service" in page.inner_text("#findings-table")
    canvas = page.locator("#modeler .djs-container")
    box = canvas.bounding_box()
    canvas.click(position={"x": box["width"] - 30, "y": box["height"] - 60})  # back on the drawing, then undo
    page.keyboard.press("Control+z")
    page.wait_for_selector('#modeler [data-element-id="flow_issued"]')
    _checked_after(page, mark)
    assert page.locator(".finding-badge.error").count() == 0

    _select(page, "check_identity", where=(0.2, 0.8))
    _open_group(page, "onestop-scripts")
    page.get_by_label("腳本（Python）").fill("identity_valid = = 1")
    page.wait_for_selector('.finding-badge.error[data-finding-for="check_identity"]')
    page.get_by_role("button", name="部署新版本").click()
    page.locator("#deploy-dialog").wait_for()
    assert "修正後才能部署" in page.inner_text("#deploy-dialog")
    assert page.get_by_role("button", name="確認部署").is_disabled()
    page.get_by_role("button", name="取消").click()
    assert page.locator("#deploy-dialog").count() == 0
    assert len(api_as("GET", f"/api/definitions/{KEY}", user="designer").json["versions"]) == 1

    page.get_by_role("button", name="English").click()
    wait_ready(page, "designer")
    page.wait_for_selector("#properties-panel")
    check_accessibility(page, "designer-en")
