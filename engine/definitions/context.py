"""What the validation stages share while validating one bundle."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from lxml import etree
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.definitions.findings import Finding
from engine.definitions.xml import Report, bpmn_xpath


@dataclass
class ValidationContext:
    """Everything the stages share while validating one bundle."""

    report: Report
    operators: set[str]
    script_functions: set[str]
    bpmn: dict[str, etree._Element] = field(default_factory=dict)  # file -> root element
    dmn: dict[str, etree._Element] = field(default_factory=dict)
    json_texts: dict[str, str] = field(default_factory=dict)
    bpmn_files_given: int = 0  # including those that could not be loaded
    unreadable: set[str] = field(default_factory=set)  # files that could not be loaded
    parser: SpiffBpmnParser | None = None
    # ERROR findings that make the upload a draft rather than a rejection.
    draft_reasons: set[Finding] = field(default_factory=set)
    asynchronous_operators: set[str] = field(default_factory=set)  # performed by a worker: may fail
    notice_kinds: set[str] = field(default_factory=set)  # what notifyApplicant may ask for

    def decisions(self) -> list[str]:
        """Ids of the DMN decisions the parser knows."""
        return sorted(self.parser.dmn_parsers) if self.parser else []

    def mark_last_as_draft_reason(self) -> None:
        self.draft_reasons.add(self.report.findings[-1])

    def processes(self) -> Iterator[tuple[str, etree._Element]]:
        """(file, element) of every top-level ``bpmn:process`` in the bundle."""
        for file, root in self.bpmn.items():
            for process in bpmn_xpath(root, ".//bpmn:process"):
                yield file, process

    def operator_list(self) -> str:
        names = sorted(self.operators)
        return f"Registered operators: {', '.join(names)}." if names else "No operators are registered."
