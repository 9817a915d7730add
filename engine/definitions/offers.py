"""The automatic fixes offered for an upload, after all its findings: one offer per fix that
resolves some fixable finding, with the elements it would change and, where the designer must
choose (which lane, which process), the choices."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lxml import etree

from engine.definitions.findings import FIXABLE, Finding
from engine.definitions.fixes import FIXES
from engine.definitions.kinds import ASSIGN_LANE, MAKE_EXECUTABLE, clean_name, words
from engine.definitions.lanes import named_lanes
from engine.definitions.xml import NSMAP, bpmn_xpath


@dataclass
class Offer:
    fix: str
    title: dict[str, str]  # en, zh-TW
    elements: list[str]  # the elements whose findings it resolves
    choices: list[dict[str, Any]] = field(default_factory=list)  # value, label: the designer picks one

    def as_dict(self) -> dict:
        return asdict(self)


def fix_offers(
    findings: list[Finding], documents: dict[str, etree._Element], groups: frozenset[str] | None
) -> list[Offer]:
    wanted: dict[str, list[str]] = {}
    for finding in findings:
        if finding.severity == FIXABLE and finding.fix:
            wanted.setdefault(finding.fix, []).append(finding.element_id)
    offers = []
    for fix in FIXES:
        if fix not in wanted:
            continue
        title = words(f"fix-title-{fix}")
        offer = Offer(fix, {"en": title.en, "zh-TW": title.zh}, [e for e in wanted[fix] if e])
        if fix == ASSIGN_LANE:
            offer.choices = _lane_choices(documents, groups)
        elif fix == MAKE_EXECUTABLE:
            offer.choices = [
                {"value": element_id, "label": _process_label(documents, element_id)} for element_id in offer.elements
            ]
        offers.append(offer)
    return offers


def _process_label(documents: dict[str, etree._Element], process_id: str) -> str:
    """A process as designers know it: its name, or the name of the pool that draws it, and its id."""
    for root in documents.values():
        for process in bpmn_xpath(root, ".//bpmn:process"):
            if process.get("id") == process_id:
                pools = root.xpath(".//bpmn:participant[@processRef=$id]", namespaces=NSMAP, id=process_id)
                name = clean_name(process.get("name")) or (clean_name(pools[0].get("name")) if pools else None)
                return f"{name} ({process_id})" if name else process_id
    return process_id


def _lane_choices(documents: dict[str, etree._Element], groups: frozenset[str] | None) -> list[dict[str, Any]]:
    """The lanes drawn that a group works, then the office's other groups (a new lane each)."""
    names: dict[str, None] = {}
    for root in documents.values():
        for process in bpmn_xpath(root, ".//bpmn:process"):
            for lane in named_lanes(process):
                name = clean_name(lane.get("name"))
                if groups is None or name in groups:
                    names[name] = None
    for group in sorted(groups or ()):
        names.setdefault(group, None)
    return [{"value": name, "label": name} for name in names]
