"""Validation findings: how every problem in a deployed procedure is reported."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"
INFO = "info"


@dataclass(frozen=True)
class Finding:
    """One problem (or note) about one BPMN element, in words a process designer can act on."""

    element_id: str | None
    element_type: str | None
    severity: str  # ERROR blocks a deploy; WARNING and INFO do not
    message: str
    file: str | None = None
    line: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)
