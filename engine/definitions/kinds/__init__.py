"""Every kind of finding, with its policy (error, fixable, warning, note) and its words in
English and Traditional Chinese. Checks report findings by kind code (``Report.add``)."""

from __future__ import annotations

from typing import Any

from engine.definitions.findings import Text
from engine.definitions.kinds import fixes, lint, model, reading, tasks
from engine.definitions.kinds.base import PHRASE, Kind
from engine.definitions.kinds.model import IMPLICIT_SPLITS, MAKE_EXECUTABLE, QUOTE_TIMERS
from engine.definitions.kinds.tasks import ASSIGN_LANE
from engine.definitions.kinds.words import clean_name, element_text, file_text, listing, type_text

KINDS: dict[str, Kind] = {}
for _module in (reading, model, tasks, lint, fixes):
    for _code, _kind in _module.KINDS.items():
        if _code in KINDS:
            raise ValueError(f"kind {_code} is defined twice")
        KINDS[_code] = _kind

LINT_RULES = tuple(code for code, kind in lint.KINDS.items() if kind.severity != PHRASE)


def words(code: str, **params: Any) -> Text:
    """The words of a kind (or phrase) with its placeholders filled in."""
    return KINDS[code].text(params)


__all__ = [
    "ASSIGN_LANE",
    "IMPLICIT_SPLITS",
    "KINDS",
    "LINT_RULES",
    "MAKE_EXECUTABLE",
    "QUOTE_TIMERS",
    "Kind",
    "clean_name",
    "element_text",
    "file_text",
    "listing",
    "type_text",
    "words",
]
