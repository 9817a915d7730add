"""What a finding kind is: a stable code, a policy (error, fixable, warning, note) and its words
in English and Traditional Chinese, with ``{placeholders}`` for the element, file or value."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any, Mapping

from engine.definitions.findings import ERROR, FIXABLE, NOTE, SEVERITIES, WARNING, Text

PHRASE = "phrase"  # words used inside other findings, never a finding of their own
# Report.add's own keywords: a finding's text cannot use them as placeholders.
RESERVED = frozenset({"kind", "at", "element_id", "element_type", "file", "line"})


@dataclass(frozen=True)
class Kind:
    code: str
    severity: str  # ERROR, FIXABLE, WARNING, NOTE, or PHRASE
    en: str
    zh: str
    fix: str | None = None  # for FIXABLE: the automatic fix that resolves it
    # For an ERROR: the drawing is sound BPMN that the engine does not run as drawn, so the upload
    # is kept as a draft (fixed in the modeller) rather than rejected.
    draft: bool = False

    def __post_init__(self) -> None:
        if self.severity not in (*SEVERITIES, PHRASE):
            raise ValueError(f"{self.code}: unknown severity {self.severity}")
        if (self.severity == FIXABLE) != (self.fix is not None):
            raise ValueError(f"{self.code}: a fixable kind names its fix, and only a fixable kind does")
        if placeholders(self.en) != placeholders(self.zh):
            raise ValueError(f"{self.code}: the English and Chinese texts use different placeholders")
        if self.severity != PHRASE and placeholders(self.en) & RESERVED:
            raise ValueError(f"{self.code}: a finding's text may not use {sorted(RESERVED)} as placeholders")

    @property
    def keeps_draft(self) -> bool:
        return self.severity == FIXABLE or self.draft

    def text(self, params: Mapping[str, Any]) -> Text:
        return Text(_render(self.en, params, "en"), _render(self.zh, params, "zh"))


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _render(template: str, params: Mapping[str, Any], language: str) -> str:
    values = {name: _value(value, language) for name, value in params.items()}
    return template.format_map(values)


def _value(value: Any, language: str) -> str:
    if isinstance(value, Text):
        return value.pick(language)
    if isinstance(value, (list, tuple)):
        separator = "、" if language == "zh" else ", "
        return separator.join(_value(item, language) for item in value)
    return str(value)


def kinds(*entries: Kind) -> dict[str, Kind]:
    table = {}
    for entry in entries:
        if entry.code in table:
            raise ValueError(f"kind {entry.code} is defined twice")
        table[entry.code] = entry
    return table


def error(code: str, en: str, zh: str, *, draft: bool = False) -> Kind:
    return Kind(code, ERROR, en, zh, draft=draft)


def fixable(code: str, fix: str, en: str, zh: str) -> Kind:
    return Kind(code, FIXABLE, en, zh, fix=fix)


def warning(code: str, en: str, zh: str) -> Kind:
    return Kind(code, WARNING, en, zh)


def note(code: str, en: str, zh: str) -> Kind:
    return Kind(code, NOTE, en, zh)


def phrase(code: str, en: str, zh: str) -> Kind:
    return Kind(code, PHRASE, en, zh)
