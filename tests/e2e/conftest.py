"""End-to-end fixtures: the app served by gunicorn on the test database (the API tests' `serve`
fixture), users who sign in with a password, and Debian's Chromium driven by Playwright.

Every page the tests visit can be checked with axe-core (served from node_modules, as the app
serves bpmn-js): serious or critical violations fail the test. Screenshots of the main pages go
to test-artifacts/screenshots/ (git-ignored) for people to look at.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest

from engine import accounts, files_from_folder
from engine import commands as cmd

from ..api.conftest import HttpCaller, serve, tokens  # noqa: F401  (fixtures used here)
from ..conftest import BPMN
from ..engine.helpers import RECEIVE

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "e2e password for the browser"
VIEWPORT = {"width": 1366, "height": 768}
# The switches that keep a headless Chromium quiet: no GPU, no network of its own, no first-run.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_USERS = {
    "counter_clerk": (["clerk"], ["Clerk"]),
    "second_clerk": (["clerk"], ["Clerk"]),
    "lead": (["supervisor"], ["Supervisor", "Clerk"]),
    "inspector": (["auditor"], []),
    "modeller": (["designer"], []),
    "ticket_machine": (["kiosk"], []),
}
# The names (and direct lines) applicants and colleagues read.
BROWSER_NAMES = {
    "counter_clerk": ("陳怡君", "(02) 2700-1234 #121"),
    "second_clerk": ("林志明", None),
    "lead": ("王美玲", "(02) 2700-1234 #101"),
}


@pytest.fixture(scope="session")
def playwright_driver():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/chromium.sh (apt-get install chromium)")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/setup.sh (npm ci)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def page(playwright_driver, tmp_path):
    """A page in a fresh browser profile, at the size of an office screen (1366x768)."""
    profile = tmp_path / "chromium-profile"
    context = playwright_driver.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=VIEWPORT,
        locale="zh-TW",
        timezone_id="Asia/Taipei",
    )
    context.set_default_timeout(15_000)
    browser_page = context.pages[0] if context.pages else context.new_page()
    errors: list[str] = []
    browser_page.on("pageerror", lambda error: errors.append(str(error)))
    # Whatever the server's Content-Security-Policy blocks (an inline script or style, a foreign
    # source) is reported on the console: a page that needs it is broken for real users.
    blocked: list[str] = []
    browser_page.on(
        "console",
        lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None,
    )
    yield browser_page
    context.close()
    shutil.rmtree(profile, ignore_errors=True)
    assert errors == [], f"JavaScript errors on the page: {errors}"
    assert blocked == [], f"the Content-Security-Policy blocked: {blocked}"


@pytest.fixture
def web(serve, engine):  # noqa: F811  (the fixture imported above)
    """The served app with the transcript procedure deployed and the browser users created."""
    with engine.write() as session:
        for username, (roles, groups) in BROWSER_USERS.items():
            name, phone = BROWSER_NAMES.get(username, (None, None))
            accounts.create_user(
                session,
                username,
                roles=roles,
                groups=groups,
                password=PASSWORD,
                display_name=name,
                phone=phone,
                now=engine.clock.now(),
            )
    engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / "household_transcript"), actor="designer"))
    return serve()


@pytest.fixture
def api_as(web, tokens):  # noqa: F811
    """Direct API calls to the served app (to prepare a case the way another desk would)."""
    caller = HttpCaller(web.base_url, tokens)
    yield caller
    caller.session.close()


def sign_in(page, web, username: str) -> None:
    page.goto(web.url("/app/#/login"))
    if page.evaluate("() => !!sessionStorage.getItem('onestop.token')"):  # someone else was signed in
        page.evaluate("() => sessionStorage.clear()")
        page.reload()
    wait_ready(page, "login")
    page.get_by_label("帳號").fill(username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    page.wait_for_selector("header .sign-out")
    wait_ready(page)


# Playwright evaluates a predicate given as a plain expression with eval(), which the app's CSP
# forbids (no 'unsafe-eval'): tests write their wait_for_function predicates as arrow functions.


def wait_ready(page, name: str | None = None) -> None:
    """Wait until the app has drawn a page (``name``: that page, e.g. "inbox" for #/inbox)."""
    page.wait_for_selector(f"body[data-ready=true]{f'[data-page={name}]' if name else ''}", state="attached")


# Words a page must never show: a value the code forgot to put into words.
RAW_VALUES = re.compile(r"\b(null|undefined|NaN|\[object Object\])\b")


def visible_text(page) -> str:
    """What the page shows, without the data dumps auditors read as JSON (pre.data)."""
    return page.evaluate(
        """() => { const copy = document.body.cloneNode(true);
        copy.querySelectorAll('pre.data, script, style').forEach((node) => node.remove());
        return copy.innerText; }"""
    )


def check_accessibility(page, name: str) -> None:
    """axe-core on the page as it is now: no serious or critical violation, no raw value such as
    "null" in the text; then a screenshot."""
    raw = RAW_VALUES.findall(visible_text(page))
    assert raw == [], f"{name} shows {raw}"
    if not page.evaluate("() => !!window.axe"):
        # From the server (as the app's own scripts): the CSP refuses an inline copy of axe.
        page.add_script_tag(url=page.evaluate("location.origin") + "/app/vendor/axe-core/axe.min.js")
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    screenshot(page, name)
    assert serious == [], f"accessibility violations on {name}:\n{json.dumps(serious, ensure_ascii=False, indent=1)}"


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_the_days(engine, clock, signer):
    """Anchor and sign every day the served app wrote events on (it stamps them with the real
    time; the nightly anchoring runs after that day): the test's clock moves two days past now.
    Returns the office-local day of today."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from engine.audit import anchoring

    taipei = ZoneInfo("Asia/Taipei")
    day = datetime.now(timezone.utc).astimezone(taipei).date()
    clock.advance(seconds=(datetime.now(timezone.utc) - clock.now()).total_seconds() + 2 * 86400)
    with engine.read() as session:
        days = anchoring.unanchored_days(session, taipei, day)
    for item in days:
        anchoring.anchor_day(engine, item, signer=signer, actor="cron", zone=taipei)
    return day


def carried_case(api_as, applicant: dict | None = None) -> dict:
    """A transcript case taken through receipt, the register check and the issue of the transcript."""
    body = {"procedure": "household_transcript", **({"applicant": applicant} if applicant else {})}
    started = api_as("POST", "/api/cases", user="clerk", json=body).json
    first = started["open_tasks"][0]["id"]
    assert api_as("POST", f"/api/tasks/{first}/claim", user="clerk").status == 200
    assert api_as("POST", f"/api/tasks/{first}/complete", user="clerk", json={"data": RECEIVE}).status == 200
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the embedded scheduler asks the agency simulator
        case = api_as("GET", f"/api/cases/{started['case_id']}", user="clerk").json
        if case["open_tasks"]:
            break
        time.sleep(0.3)
    issue = case["open_tasks"][0]
    assert issue["element_id"] == "issue_transcript", case
    assert api_as("POST", f"/api/tasks/{issue['id']}/claim", user="clerk").status == 200
    assert (
        api_as("POST", f"/api/tasks/{issue['id']}/complete", user="clerk", json={"data": {"fee_paid": 15}}).status
        == 200
    )
    return {
        **api_as("GET", f"/api/cases/{started['case_id']}", user="auditor").json,
        "access_code": started["access_code"],
    }
