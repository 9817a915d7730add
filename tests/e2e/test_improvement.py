"""The improvement page: a supervisor reads the findings of a month with a bottleneck, ranked,
opens the bottleneck on the diagram and the cases behind it, in Chinese and English."""

from __future__ import annotations

import pytest

from engine import accounts, files_from_folder
from engine import commands as cmd

from ..conftest import BPMN
from ..improvement.conftest import MARCH, PROCEDURE, simulate
from ..improvement.test_loop import survey_by_clerks
from .conftest import PASSWORD, check_accessibility, serve, sign_in, wait_ready  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e

PERIOD = "from=2026-03-01&to=2026-03-31"


@pytest.fixture
def bottleneck_web(serve, engine):  # noqa: F811  (the fixture imported above)
    """The served app on a simulated March of house number assignments alone, and its supervisor."""
    engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / PROCEDURE), actor="designer"))
    simulate(engine, MARCH)
    with engine.write() as session:
        accounts.create_user(
            session, "lead", roles=["supervisor"], groups=["Supervisor"], password=PASSWORD, now=engine.clock.now()
        )
    return serve()


def test_the_findings_page_ranks_the_bottleneck_and_shows_it_on_the_diagram(page, bottleneck_web):
    sign_in(page, bottleneck_web, "lead")
    page.get_by_role("link", name="流程改善").click()
    wait_ready(page, "improvement")
    page.locator("#findings-from").fill("2026-03-01")
    page.locator("#findings-to").fill("2026-03-31")
    page.locator("#findings-show").click()
    page.wait_for_function(
        "() => document.querySelector('#findings-table tbody tr td:nth-child(4)')?.textContent === '現場勘查'"
    )
    first = page.locator("#findings-table tbody tr").first
    assert "逾時停留的步驟" in first.inner_text() and "門牌編釘" in first.inner_text()
    assert "辦公小時" in first.inner_text()
    first.get_by_role("button", name="在流程圖上顯示").click()
    page.wait_for_selector('[data-finding-badge="site_survey"]')
    assert "門牌編釘 第 1 版：現場勘查" in page.inner_text("#finding-diagram h2")
    check_accessibility(page, "improvement-findings-zh")

    page.locator(".lang-switch").click()
    wait_ready(page, "improvement")
    page.wait_for_function(
        "() => document.querySelector('#findings-table tbody tr td:nth-child(4)')?.textContent === 'Survey the building on site'"
    )
    assert "office hours beyond the standard" in page.locator("#findings-table tbody tr").first.inner_text()
    check_accessibility(page, "improvement-findings-en")

    # The cases behind it: the case search with the procedure and the period.
    page.locator('[data-finding-search="1"]').click()
    wait_ready(page, "cases")
    assert page.locator("#search-procedure").input_value() == PROCEDURE
    assert page.locator("#search-from").input_value() == "2026-03-01"


def test_a_designer_runs_a_what_if_and_reads_the_effect_of_the_deploy(page, bottleneck_web, engine, tmp_path):
    with engine.write() as session:
        accounts.create_user(
            session, "modeller", roles=["designer"], groups=[], password=PASSWORD, now=engine.clock.now()
        )
    proposal = tmp_path / "house_number.bpmn"
    proposal.write_text(survey_by_clerks(), encoding="utf-8")
    sign_in(page, bottleneck_web, "modeller")
    page.goto(bottleneck_web.url(f"/app/#/improvement?{PERIOD}"))
    wait_ready(page, "improvement")
    page.locator("#whatif-from").fill("2026-03-02")
    page.locator("#whatif-to").fill("2026-03-03")
    page.get_by_label("重跑的來件").select_option(PROCEDURE)
    page.get_by_label("提議改版的申辦項目").select_option(PROCEDURE)
    page.get_by_label("改版檔案（BPMN 與表單）").set_input_files(str(proposal))
    page.get_by_label("目前人力").fill("Clerk=2, Surveyor=1@9-10")
    page.get_by_label("期間後續跑工作天").fill("2")
    page.get_by_role("button", name="開始試算").click()
    page.wait_for_selector("#whatif-run[data-status=done]", timeout=240_000)
    figures = page.inner_text("#whatif-figures")
    assert "如期完成率" in figures and "補件次數" in figures
    steps = page.inner_text("#whatif-steps")
    assert "現場勘查" in steps and "Surveyor → Clerk" in steps
    assert "clerk-3" in page.inner_text("#whatif-workload")
    check_accessibility(page, "improvement-what-if-zh")

    # Deployed; the effect section compares the figures before and after it.
    engine.handle(
        cmd.DeployDefinition(
            {**files_from_folder(BPMN / PROCEDURE), "house_number.bpmn": proposal.read_bytes()}, actor="designer"
        )
    )
    page.locator(".lang-switch").click()
    wait_ready(page, "improvement")
    page.locator("#effect-procedure").select_option(PROCEDURE)
    page.wait_for_function("() => document.querySelector('#effect-version option')?.value === '2'")
    page.locator("#effect-show").click()
    page.wait_for_selector("#effect-table")
    table = page.inner_text("#effect-table")
    assert "SLA compliance" in table and "Cases behind (before / after)" in table
    check_accessibility(page, "improvement-effect-en")
