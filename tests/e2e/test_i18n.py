"""Both languages have every text the pages ask for."""

from __future__ import annotations

import re

import pytest

from engine import events

from .conftest import ROOT, wait_ready

pytestmark = pytest.mark.e2e

MODULES = sorted((ROOT / "api" / "web" / "static" / "js").glob("*.js"))
# t("key") and t(`prefix_${...}`): the literal keys, and the prefixes of the built ones
LITERAL = re.compile(r"""\bt\(\s*"([a-z_0-9]+)"\s*[,)]""")
BUILT = re.compile(r"""\bt\(\s*`([a-z_0-9]+)\$\{""")


def test_every_text_the_pages_use_is_in_both_dictionaries(page, web):
    page.goto(web.url("/app/#/status"))
    wait_ready(page, "status")
    dictionaries = page.evaluate("""async () => {
        const { DICTIONARIES } = await import('/app/static/js/i18n.js');
        return Object.fromEntries(Object.entries(DICTIONARIES).map(([lang, texts]) => [lang, Object.keys(texts)]));
    }""")
    assert set(dictionaries) == {"zh-TW", "en"}
    zh, en = set(dictionaries["zh-TW"]), set(dictionaries["en"])
    assert zh == en, f"only in zh-TW: {sorted(zh - en)}; only in en: {sorted(en - zh)}"
    used = {key for module in MODULES for key in LITERAL.findall(module.read_text(encoding="utf-8"))}
    assert len(used) > 100
    assert used - zh == set(), "texts the pages use that no dictionary has"
    prefixes = {prefix for module in MODULES for prefix in BUILT.findall(module.read_text(encoding="utf-8"))}
    for prefix in prefixes:  # e.g. sla_ + the SLA states the API answers
        assert any(key.startswith(prefix) for key in zh), prefix
    for state in ("on_time", "due_today", "overdue", "closed_on_time", "closed_late", "no_deadline"):
        assert f"sla_{state}" in zh
    for status in ("running", "completed", "cancelled"):  # the case statuses (CaseSearchArgsSchema)
        assert f"status_{status}" in zh
    # Every event a case's activity can show has its name (no "event_document_attached" on a page).
    kinds = {value for name, value in vars(events).items() if name.isupper() and isinstance(value, str)}
    kinds -= {events.RATING_MESSAGE, events.DOCUMENTS_MESSAGE, events.MISSING_DOCUMENTS}  # not event types
    assert {kind for kind in kinds if f"event_{kind}" not in zh} == set()
