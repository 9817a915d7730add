"""A designer edits a diagram in the modeller, sees the findings on the diagram, and deploys it."""

from __future__ import annotations

import pytest

from .conftest import check_accessibility, sign_in

pytestmark = pytest.mark.e2e

NEW_NAME = "核發謄本 Issue the transcript"


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
    page.get_by_role("button", name="檢查").click()
    page.wait_for_selector("#findings-table")
    assert "check_identity" in page.inner_text("#findings-table")
    assert page.locator('.finding-badge[data-finding-for="check_identity"]').count() == 1
    assert page.locator('#modeler [data-element-id="check_identity"].has-warning').count() == 1
    page.get_by_role("button", name="check_identity").first.click()  # a finding selects its element
    assert page.locator('#modeler [data-element-id="check_identity"].selected').count() == 1
    check_accessibility(page, "designer-findings")

    # Undo, rename a task by editing its label on the canvas; the check passes again (the
    # procedure's own lint warnings stay).
    page.click("#modeler", position={"x": 700, "y": 500})
    page.keyboard.press("Control+z")
    assert page.locator('#modeler [data-element-id="flow_received"]').count() == 1
    page.dblclick('#modeler [data-element-id="issue_transcript"]')
    page.wait_for_selector(".djs-direct-editing-parent")
    page.keyboard.press("Control+a")
    page.keyboard.type(NEW_NAME)
    page.click("#modeler", position={"x": 700, "y": 500})
    assert NEW_NAME in page.text_content('#modeler [data-element-id="issue_transcript"]')
    page.get_by_role("button", name="檢查").click()
    page.wait_for_function("!document.querySelector('.finding-badge[data-finding-for=check_identity]')")
    assert "executable" in page.inner_text("#designer-messages .notice.ok")

    with page.expect_download() as download:
        page.get_by_role("button", name="儲存 BPMN 檔").click()
    assert NEW_NAME in open(download.value.path(), encoding="utf-8").read()

    # The saved draft is offered when the procedure is opened again.
    page.get_by_role("button", name="開啟", exact=True).click()
    page.get_by_role("button", name="開啟上次儲存的草稿").click()
    page.wait_for_function(
        f"document.querySelector('#modeler [data-element-id=issue_transcript]').textContent.includes('{NEW_NAME}')"
    )

    page.get_by_role("button", name="部署新版本").click()
    page.wait_for_selector("#designer-messages .notice.ok")
    assert "2" in page.inner_text("#designer-messages")
    assert page.locator("#versions-table tbody tr").count() == 2
    deployed = api_as("GET", "/api/definitions/household_transcript/versions/2/bpmn", user="designer")
    assert NEW_NAME in deployed.body.decode()

    # The versions' diff names the renamed task.
    page.get_by_label("從版本").select_option("1")
    page.get_by_label("到版本").select_option("2")
    page.get_by_role("button", name="顯示差異").click()
    page.wait_for_selector("#diff-result li")
    assert "issue_transcript" in page.inner_text("#diff-result")
    check_accessibility(page, "designer-deployed")
