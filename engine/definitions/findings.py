"""Validation findings: how every problem in an uploaded procedure is reported.

Every finding is of one **kind** (``engine.definitions.kinds``), and the kind fixes its policy:

- ``error``: the procedure cannot run as drawn; the designer fixes it by hand;
- ``fixable``: it cannot run as drawn, and an automatic fix the designer can accept exists
  (``fix`` names it; the designer sees the fix as a diff of the XML before accepting it);
- ``warning``: it runs, but probably not as meant;
- ``note``: for information (a converted encoding, vendor settings carried along unjudged).

``error`` and ``fixable`` block execution. A finding names its element (id, type, name, file,
line) or says it is about a whole file or the whole bundle (``scope``), and says what is wrong and
how to fix it in English and in Traditional Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
FIXABLE = "fixable"
WARNING = "warning"
NOTE = "note"
SEVERITIES = (ERROR, FIXABLE, WARNING, NOTE)
BLOCKING = frozenset({ERROR, FIXABLE})

# What a finding is about.
ELEMENT = "element"
FILE = "file"
BUNDLE = "bundle"


@dataclass(frozen=True)
class Text:
    """Words for a designer, in English and in Traditional Chinese (zh-TW)."""

    en: str
    zh: str

    def __str__(self) -> str:
        return self.en

    def pick(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


@dataclass(frozen=True)
class Finding:
    """One problem (or note) about one BPMN element, one file or the bundle."""

    element_id: str | None
    element_type: str | None
    severity: str  # ERROR and FIXABLE block execution; WARNING and NOTE do not
    message: str  # English
    file: str | None = None
    line: int | None = None
    kind: str | None = None  # the finding's kind (engine.definitions.kinds)
    message_zh: str = ""  # Traditional Chinese
    element_name: str | None = None
    fix: str | None = None  # the automatic fix that resolves it (severity fixable)

    @property
    def scope(self) -> str:
        return ELEMENT if self.element_id else FILE if self.file else BUNDLE

    @property
    def blocking(self) -> bool:
        return self.severity in BLOCKING

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "scope": self.scope,
            "element_id": self.element_id,
            "element_type": self.element_type,
            "element_name": self.element_name,
            "file": self.file,
            "line": self.line,
            "message": self.message,
            "messages": {"en": self.message, "zh-TW": self.message_zh or self.message},
            "fix": self.fix,
        }


def has_errors(findings: list[Finding]) -> bool:
    """Does anything block execution (an error, or a fixable problem not fixed yet)?"""
    return any(finding.blocking for finding in findings)
