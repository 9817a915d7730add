"""What modelling tools add to BPMN files and what the upload's verdict is.

Camunda Modeler, Signavio, Bizagi, ARIS, Trisotech, Enterprise Architect... all write their own
extension elements and attributes next to standard BPMN. They are carried along untouched and
never judged (``engine.definitions.model_view`` leaves them out of what the engine reads);
designers get one note per vendor namespace so they know those settings have no effect here.

Every upload gets one of three verdicts:

- ``executable``: nothing blocks it (no error, no fixable problem): cases can be started on it;
- ``draft``: it can be stored and opened in the modeller but not run yet: its processes are
  marked not executable (the designer's draft; it is checked fully all the same), or it has only
  problems of kinds that keep a draft (a fix the designer can accept, elements the engine does not
  run as drawn);
- ``rejected``: a file could not be read (malformed XML, hostile content, not BPMN), or the
  procedure has errors a designer must fix first (a script that does not compile...). Nothing is
  stored, unless the designer imports it as a draft to fix it in the browser.
"""

from __future__ import annotations

from lxml import etree

from engine.definitions.findings import Finding
from engine.definitions.kinds import KINDS, words
from engine.definitions.xml import BPMN_NS, SPIFF_NS, Report, bpmn_xpath, is_model_namespace

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
    "igrafx": "iGrafx",
    "visual-paradigm": "Visual Paradigm",
    "visualparadigm": "Visual Paradigm",
    "cardanit": "Cardanit",
    "bonitasoft": "Bonita",
    "adonis": "ADONIS",
    "boc-group": "ADONIS",
    "omg.org/spec/bpmn/non-normative/color": "bpmn.io (colours)",
}


def note_vendor_extensions(report: Report, file: str, root: etree._Element) -> None:
    """One note per foreign namespace used in elements or attributes of ``file``."""
    first_use: dict[str, etree._Element] = {}
    for element in root.iter(tag=etree.Element):
        namespaces = [etree.QName(element).namespace]
        namespaces += [etree.QName(name).namespace for name in element.attrib if name.startswith("{")]
        for namespace in namespaces:
            if namespace and namespace not in _STANDARD_NAMESPACES and namespace not in first_use:
                first_use[namespace] = _nearest_model_element(element, etree.QName(root).namespace)
    for namespace, element in first_use.items():
        drawn = element.get("bpmnElement")  # a diagram shape: the note is about what it draws
        element = report.element(file, drawn) if drawn and report.element(file, drawn) is not None else element
        report.add("vendor-extensions", at=element, file=file, vendor=_vendor(namespace), namespace=namespace)


def _nearest_model_element(element: etree._Element, root_namespace: str | None) -> etree._Element:
    """The element itself or its closest ancestor that is a BPMN element with an id (extension
    elements rarely have one, and a vendor element's id is not an element of the diagram)."""
    node = element
    while node is not None and not (node.get("id") and is_model_namespace(etree.QName(node).namespace, root_namespace)):
        node = node.getparent()
    return node if node is not None else element


def _vendor(namespace: str):
    lowered = namespace.lower()
    for fragment, vendor in _KNOWN_VENDORS.items():
        if fragment in lowered:
            return vendor
    return words("vendor-unknown")


def verdict(findings: list[Finding], unreadable_files: bool, marked_draft: bool) -> str:
    """``rejected`` when a file is unreadable; ``executable`` when nothing blocks; ``draft`` when
    the upload is marked as a draft or every blocking finding is of a kind that keeps a draft;
    else ``rejected``."""
    blocking = [finding for finding in findings if finding.blocking]
    if unreadable_files:
        return REJECTED
    if not blocking:
        return EXECUTABLE
    if marked_draft or all(finding.kind in KINDS and KINDS[finding.kind].keeps_draft for finding in blocking):
        return DRAFT
    return REJECTED


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
