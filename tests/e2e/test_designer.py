"""A designer edits a diagram in the modeller, sees the findings on the diagram, and deploys it."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import check_accessibility, screenshot, sign_in, wait_ready

pytestmark = pytest.mark.e2e

NEW_NAME = "核發謄本 Issue the transcript"
ZEEBE = Path(__file__).resolve().parents[1] / "corpus" / "tools" / "camunda" / "camunda8-zeebe-no-lanes.bpmn"


def _click_blank(page) -> None:
    """Click the canvas where no element is: just above its bottom edge, in the middle."""
    box = page.locator("#modeler").bounding_box()
    page.click("#modeler", position={"x": box["width"] / 2, "y": box["height"] - 6})


def test_a_designer_edits_a_diagram_and_deploys_it(page, web, api_as):
    sign_in(page, web, "modeller")
    page.get_by_label("申辦項目").select_option("household_transcript")
    page.get_by_role("button", name="開啟", exact=True).click()
    page.wait_for_selector('#modeler [data-element-id="issue_transcript"]')
    check_accessibility(page, "designer")

    # Delete the flow after the receiving task: the elements behind it can no longer be reached,
    # and the check says so on the diagram, at each of those elements.
    page.click('#modeler [data-element-id="flow_received"] .djs-hit', force=True)
    page.keyboard.press("Delete")
    assert page.locator('#modeler [data-element-id="flow_received"]').count() == 0
    # The check runs by itself once the designer pauses; the button runs it at once and says the verdict.
    page.wait_for_selector("#findings-table :text('check_identity')")
    page.get_by_role("button", name="檢查").click()
    page.wait_for_selector("#designer-messages .notice")
    assert page.locator('.finding-badge[data-finding-for="check_identity"]').count() == 1
    assert page.locator('#modeler [data-element-id="check_identity"].has-warning').count() == 1
    page.get_by_role("button", name="check_identity").first.click()  # a finding selects its element
    assert page.locator('#modeler [data-element-id="check_identity"].selected').count() == 1
    check_accessibility(page, "designer-findings")

    # Undo, rename a task by editing its label on the canvas; the check passes again (the
    # procedure's own lint warnings stay).
    _click_blank(page)
    page.keyboard.press("Control+z")
    assert page.locator('#modeler [data-element-id="flow_received"]').count() == 1
    page.dblclick('#modeler [data-element-id="issue_transcript"]')
    page.wait_for_selector(".djs-direct-editing-parent")
    page.keyboard.press("Control+a")
    page.keyboard.type(NEW_NAME)
    _click_blank(page)
    assert NEW_NAME in page.text_content('#modeler [data-element-id="issue_transcript"]')
    page.get_by_role("button", name="檢查").click()
    page.wait_for_function("() => !document.querySelector('.finding-badge[data-finding-for=check_identity]')")
    assert "可執行" in page.inner_text("#designer-messages .notice.ok")

    with page.expect_download() as download:
        page.get_by_role("button", name="儲存 BPMN 檔").click()
    assert NEW_NAME in open(download.value.path(), encoding="utf-8").read()

    # The saved draft is offered when the procedure is opened again.
    page.get_by_role("button", name="開啟", exact=True).click()
    page.get_by_role("button", name="開啟上次儲存的草稿").click()
    page.wait_for_function(
        f"() => document.querySelector('#modeler [data-element-id=issue_transcript]').textContent.includes('{NEW_NAME}')"
    )

    page.get_by_role("button", name="部署新版本").click()  # confirmed after reading the warnings
    page.get_by_label("仍要部署").check()
    page.get_by_role("button", name="確認部署").click()
    page.wait_for_selector("#designer-messages .notice.ok")
    assert "2" in page.inner_text("#designer-messages")
    assert page.locator("#versions-table tbody tr").count() == 2
    deployed = api_as("GET", "/api/definitions/household_transcript/versions/2/bpmn", user="designer")
    assert NEW_NAME in deployed.body.decode()

    # The versions' diff names the renamed task.
    page.get_by_label("從版本", exact=True).select_option("1")
    page.get_by_label("到版本", exact=True).select_option("2")
    page.get_by_role("button", name="顯示差異").click()
    page.wait_for_selector("#diff-result li")
    assert "issue_transcript" in page.inner_text("#diff-result")
    check_accessibility(page, "designer-deployed")


def test_a_designer_imports_a_file_from_another_tool_fixes_it_in_the_browser_and_deploys_it(page, web, api_as):
    """A Camunda 8 file whose user tasks are in no lane: imported as a draft, its findings on the
    diagram, the lane fix previewed as a diff and accepted, the case start rehearsed, deployed."""
    sign_in(page, web, "modeller")
    page.goto(web.url("/app/#/designer"))
    wait_ready(page, "designer")
    page.set_input_files("#import-file", str(ZEEBE))
    page.wait_for_selector('#modeler [data-element-id="Activity_check"]')
    page.wait_for_selector("#findings-table")
    assert "已匯入為草稿版本 1" in page.inner_text("#designer-messages")
    for task in ("Activity_check", "Activity_issue"):  # pinned to the elements, as blocking
        assert page.locator(f'.finding-badge.error[data-finding-for="{task}"]').count() == 1
        assert page.locator(f'#modeler [data-element-id="{task}"].has-error').count() == 1
    assert "不在任何泳道中" in page.inner_text("#findings-table")
    check_accessibility(page, "designer-imported-draft")

    offer = page.locator('#fix-offers [data-fix="assign-lane"]')
    assert "將未指派的工作放入泳道" in offer.inner_text()
    page.get_by_label("放入泳道").select_option("Clerk")
    page.click("#fix-button-assign-lane")
    page.wait_for_selector("#fix-preview-assign-lane pre.diff")
    added = page.inner_text("#fix-preview-assign-lane pre.diff .add")
    assert 'name="Clerk"' in added and "Activity_check" in page.inner_text("#fix-preview-assign-lane pre.diff")
    assert "修正後的檢查結果：可執行" in page.inner_text("#fix-preview-assign-lane")
    check_accessibility(page, "designer-fix-preview")

    page.click("#accept-fix-assign-lane")
    # the accepted fix is checked again and says its verdict (the live check may clear the badges first)
    page.wait_for_selector("#designer-messages .notice.ok >> text=可執行")
    assert page.locator(".finding-badge.error").count() == 0
    assert "Clerk 可認領" in page.inner_text("#rehearsal-table")
    assert "可以開始案件" in page.inner_text("#rehearsal")

    page.get_by_role("button", name="部署新版本").click()  # the dialog shows what the deploy does
    page.locator("#deploy-dialog").wait_for()
    if page.locator("#acknowledge-warnings").count():
        page.get_by_label("仍要部署").check()
    page.get_by_role("button", name="確認部署").click()
    page.wait_for_selector("#designer-messages .notice.ok >> text=已部署版本 2")
    assert page.locator("#versions-table tbody tr").count() == 2
    assert "v1 (草稿)" in page.inner_text("#versions-table")
    deployed = api_as("GET", "/api/definitions/transcript_c8/versions/2", user="designer").json
    assert deployed["draft"] is False
    check_accessibility(page, "designer-fixed-and-deployed")

    # The same page in English: the findings' own words follow the language.
    page.click("header .lang-switch")
    page.goto(web.url("/app/#/designer?key=transcript_c8"))
    page.wait_for_selector('#modeler [data-element-id="Activity_check"]')
    page.get_by_role("button", name="Validate").click()
    page.wait_for_selector("#rehearsal-table")
    assert "claimable by Clerk" in page.inner_text("#rehearsal-table")
    screenshot(page, "designer-en")
