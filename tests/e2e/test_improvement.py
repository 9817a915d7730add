"""The improvement page: a supervisor reads the findings of a month with a bottleneck, ranked,
opens the bottleneck on the diagram and the cases behind it, in Chinese and English."""

from __future__ import annotations

import pytest

from engine import accounts, files_from_folder
from engine import commands as cmd

from ..conftest import BPMN
from ..improvement.conftest import MARCH, PROCEDURE, simulate
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
    page.get_by_label("期間起日").fill("2026-03-01")
    page.get_by_label("期間迄日").fill("2026-03-31")
    page.get_by_role("button", name="顯示", exact=True).click()
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
