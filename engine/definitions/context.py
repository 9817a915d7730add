"""What the validation stages share while validating one bundle."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from lxml import etree
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.definitions.findings import Text
from engine.definitions.kinds import listing, words
from engine.definitions.xml import Report, bpmn_xpath
from engine.registries import ProcedureCatalogue


@dataclass
class ValidationContext:
    """Everything the stages share while validating one bundle."""

    report: Report
    operators: set[str]
    script_functions: set[str]
    # The documents as uploaded (file -> root element): stored, and judged for identity.
    uploaded: dict[str, etree._Element] = field(default_factory=dict)
    # What the engine reads of them (engine.definitions.model_view): vendor extensions and data
    # stores left out, lanes tidied, drafts marked executable to be checked fully.
    bpmn: dict[str, etree._Element] = field(default_factory=dict)
    dmn: dict[str, etree._Element] = field(default_factory=dict)
    json_texts: dict[str, str] = field(default_factory=dict)
    bpmn_files_given: int = 0  # including those that could not be loaded
    unreadable: set[str] = field(default_factory=set)  # files that could not be loaded
    parser: SpiffBpmnParser | None = None
    asynchronous_operators: set[str] = field(default_factory=set)  # performed by a worker: may fail
    notice_kinds: set[str] = field(default_factory=set)  # what notifyApplicant may ask for
    # The office's groups (None: not known here, so lanes are not compared with them) and the
    # group that works tasks drawn in no lane (None: such a task blocks the deploy).
    groups: frozenset[str] | None = None
    default_group: str | None = None
    # Processes marked not executable that are checked as if they were: the upload is a draft
    # (no process is executable), and this is what would block it once it is marked executable.
    as_executable: frozenset[str] = frozenset()
    catalogue: ProcedureCatalogue | None = None  # standard times: who needs a service point

    def decisions(self) -> list[str]:
        """Ids of the DMN decisions the parser knows."""
        return sorted(self.parser.dmn_parsers) if self.parser else []

    def processes(self) -> Iterator[tuple[str, etree._Element]]:
        """(file, element) of every top-level ``bpmn:process`` in the bundle (as the engine reads it)."""
        for file, root in self.bpmn.items():
            for process in bpmn_xpath(root, ".//bpmn:process"):
                yield file, process

    def operator_list(self) -> Text:
        names = sorted(self.operators)
        return words("operators-listed", names=listing(names)) if names else words("operators-none")

    def group_list(self) -> Text:
        if not self.groups:
            return words("groups-unknown")
        return words("groups-listed", names=listing(sorted(self.groups)))
