"""What modelling tools add to BPMN files and what the upload's verdict is.

Camunda Modeler, Signavio, Bizagi, ARIS, Trisotech, Enterprise Architect... all write their own
extension elements and attributes next to standard BPMN. The engine ignores them; designers get
one INFO note per vendor namespace so they know those settings have no effect here.

Every upload gets one of three verdicts:

- ``executable``: no error, cases can be started on it;
- ``draft``: the XML is fine but the procedure cannot run as it is (a process marked not
  executable, or elements the engine does not run). It is stored and downloadable, not startable;
- ``rejected``: a file could not be read (malformed XML, hostile content, not BPMN), or the
  procedure has errors a designer must fix (a script that does not compile...). Nothing is stored.
"""

from __future__ import annotations

from lxml import etree

from engine.definitions.findings import ERROR, INFO, Finding
from engine.definitions.xml import BPMN_NS, SPIFF_NS, Report, bpmn_xpath

EXECUTABLE = "executable"
DRAFT = "draft"
REJECTED = "rejected"

# Namespaces that are part of BPMN itself (semantic model, diagram interchange) or that the
# engine reads (SpiffWorkflow extensions).
_STANDARD_NAMESPACES = {
    BPMN_NS,
    SPIFF_NS,
    "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI",
    "http://www.w3.org/2001/XMLSchema-instance",
    "http://www.w3.org/XML/1998/namespace",
}
_KNOWN_VENDORS = {
    "camunda.org": "Camunda",
    "camunda.com": "Camunda",
    "signavio.com": "Signavio",
    "bizagi.com": "Bizagi",
    "activiti.org": "Activiti",
    "flowable.org": "Flowable",
    "trisotech.com": "Trisotech",
    "sparxsystems": "Enterprise Architect",
    "ids-scheer": "ARIS",
    "softwareag": "ARIS",
    "bpmn.io": "bpmn.io",
    "visio": "Visio",
    "yaoqiang": "Yaoqiang",
}


def note_vendor_extensions(report: Report, file: str, root: etree._Element) -> None:
    """One INFO finding per foreign namespace used in elements or attributes of ``file``."""
    first_use: dict[str, etree._Element] = {}
    for element in root.iter(tag=etree.Element):
        namespaces = [etree.QName(element).namespace]
        namespaces += [etree.QName(name).namespace for name in element.attrib if name.startswith("{")]
        for namespace in namespaces:
            if namespace and namespace not in _STANDARD_NAMESPACES and namespace not in first_use:
                first_use[namespace] = _nearest_with_id(element)
    for namespace, element in first_use.items():
        report.add_for(
            INFO,
            f"Settings of {_vendor(namespace)} (namespace '{namespace}', first used "
            "here) are ignored by the engine: they have no effect on how cases run. "
            "Nothing to fix unless you relied on them.",
            element,
            file,
        )


def _nearest_with_id(element: etree._Element) -> etree._Element:
    """The element itself or its closest ancestor with an id (extension elements rarely have one)."""
    node = element
    while node is not None and not node.get("id"):
        node = node.getparent()
    return node if node is not None else element


def _vendor(namespace: str) -> str:
    lowered = namespace.lower()
    for fragment, vendor in _KNOWN_VENDORS.items():
        if fragment in lowered:
            return vendor
    return "another modelling tool"


def verdict(findings: list[Finding], draft_reasons: set[Finding], unreadable_files: bool) -> str:
    """``executable`` without errors; ``draft`` when every error is a reason to keep the upload
    as a draft; ``rejected`` when a file is unreadable or another error must be fixed first."""
    errors = [finding for finding in findings if finding.severity == ERROR]
    if unreadable_files:
        return REJECTED
    if not errors:
        return EXECUTABLE
    return DRAFT if all(finding in draft_reasons for finding in errors) else REJECTED


def draft_key(documents: dict[str, etree._Element]) -> str | None:
    """The first process no call activity calls: the one a draft would start cases on."""
    called = {
        element.get("calledElement")
        for root in documents.values()
        for element in bpmn_xpath(root, ".//bpmn:callActivity")
    }
    return next(
        (
            process.get("id")
            for root in documents.values()
            for process in bpmn_xpath(root, ".//bpmn:process")
            if process.get("id") and process.get("id") not in called
        ),
        None,
    )
