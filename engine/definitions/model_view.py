"""What the engine reads of an uploaded BPMN document: its model view.

The uploaded document is stored exactly as uploaded; the engine (validation, and through it the
runtime, which parses stored versions the same way) reads a copy of it in which

- vendor extensions are left out: elements of other tools' namespaces, inside
  ``extensionElements`` or anywhere else (SpiffWorkflow's own extensions stay). They are carried
  along in the stored file, untouched, and never judged;
- data stores are set aside as documentation (the engine connects to none), with a note on each,
  and so are their associations with tasks;
- lanes are tidied: names without line breaks, ``flowNodeRef`` without padding;
- an event definition written at the top of the file is copied into the events that point at it
  (the engine does not follow ``eventDefinitionRef``; the finding about it stays);
- a draft (no process executable) has its processes marked executable, so that it is checked
  fully and its findings say what would still block it;
- an implicit split (an activity with several outgoing flows) gets the gateway BPMN means, and a
  timer value written as bare ISO 8601 (``P5D``) its quotes, so that the rest of the process is
  checked too; the finding about it stays, and blocks execution until the designer accepts the fix
  (or changes the drawing).
"""

from __future__ import annotations

import copy

from lxml import etree

from engine.definitions.checks import is_draft
from engine.definitions.fixes import implicit_splits, insert_gateway, is_conditional
from engine.definitions.kinds import listing
from engine.definitions.lanes import tidy_lanes
from engine.definitions.timer_checks import quote_timer_body, timer_subject, unquoted_timer_bodies
from engine.definitions.xml import SPIFF_NS, Report, bpmn_xpath, is_model_namespace, local_name


def drafts_to_check(documents: dict[str, etree._Element]) -> frozenset[str]:
    """The processes to check as if executable: all of them when none is executable (a draft)."""
    processes = [process for root in documents.values() for process in bpmn_xpath(root, ".//bpmn:process")]
    if any(not is_draft(process) for process in processes):
        return frozenset()
    return frozenset(process.get("id") for process in processes if process.get("id"))


def running_processes(root: etree._Element) -> list[etree._Element]:
    """The processes of a model view that cases run on (documentation pools are left alone)."""
    return [process for process in bpmn_xpath(root, ".//bpmn:process") if not is_draft(process)]


def model_view(report: Report, file: str, root: etree._Element, as_executable: frozenset[str]) -> etree._Element:
    view = copy.deepcopy(root)  # keeps source lines: findings point into the uploaded file
    _leave_out_vendor_extensions(view)
    _inline_referenced_definitions(view)
    _set_aside_data_stores(report, file, view)
    tidy_lanes(view)
    for process in bpmn_xpath(view, ".//bpmn:process"):
        if process.get("id") in as_executable:
            process.set("isExecutable", "true")
    _split_implicitly(report, file, view)
    _quote_timers(report, file, view)
    return view


def _leave_out_vendor_extensions(view: etree._Element) -> None:
    root_namespace = etree.QName(view).namespace
    foreign = [
        element
        for element in view.iter(tag=etree.Element)
        if etree.QName(element).namespace != SPIFF_NS
        and not is_model_namespace(etree.QName(element).namespace, root_namespace)
    ]
    for element in foreign:
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)


def _inline_referenced_definitions(view: etree._Element) -> None:
    """An event that points at a top-level definition (``eventDefinitionRef``, which the engine does
    not follow) gets a copy of it, so the rest is checked; the finding about it stays (see
    ``timer_checks.check_top_level_definitions``). Top-level definitions then leave the view."""
    top_level = {
        definition.get("id"): definition
        for definition in view
        if isinstance(definition.tag, str) and local_name(definition.tag).endswith("EventDefinition")
    }
    for ref in bpmn_xpath(view, ".//bpmn:eventDefinitionRef"):
        definition = top_level.get((ref.text or "").strip())
        if definition is not None:
            ref.addprevious(copy.deepcopy(definition))
        ref.getparent().remove(ref)
    for definition in top_level.values():
        view.remove(definition)


def _set_aside_data_stores(report: Report, file: str, view: etree._Element) -> None:
    references = bpmn_xpath(view, ".//bpmn:dataStoreReference")
    referenced = {reference.get("dataStoreRef") for reference in references}
    stores = references + [
        store for store in bpmn_xpath(view, ".//bpmn:dataStore") if store.get("id") not in referenced
    ]
    ids = {store.get("id") for store in stores}
    for association in bpmn_xpath(view, ".//bpmn:dataInputAssociation | .//bpmn:dataOutputAssociation"):
        ends = bpmn_xpath(association, "./bpmn:sourceRef | ./bpmn:targetRef")
        if any((end.text or "").strip() in ids for end in ends):
            association.getparent().remove(association)
    for store in stores:
        report.add("data-store", at=store, file=file)
    for store in stores + bpmn_xpath(view, ".//bpmn:dataStore"):
        if store.getparent() is not None:
            store.getparent().remove(store)


def _split_implicitly(report: Report, file: str, view: etree._Element) -> None:
    running = {id(process) for process in running_processes(view)}
    for element, flows in implicit_splits(view):
        if id(_process_of(element)) not in running:
            continue
        conditional = any(is_conditional(flow) for flow in flows)
        report.add(
            "implicit-split-conditional" if conditional else "implicit-split",
            at=element,
            file=file,
            count=len(flows),
            flows=listing(flow.get("id") for flow in flows),
        )
        insert_gateway(file, view, element, flows, "inclusiveGateway" if conditional else "parallelGateway")


def _quote_timers(report: Report, file: str, view: etree._Element) -> None:
    for process in running_processes(view):
        for definition, body in unquoted_timer_bodies(process):
            subject, target = timer_subject(definition)
            value = quote_timer_body(body)
            report.add("timer-unquoted", at=target, file=file, timer=subject, field=local_name(body.tag), value=value)


def _process_of(element: etree._Element) -> etree._Element | None:
    node = element.getparent()
    while node is not None and local_name(node.tag) != "process":
        node = node.getparent()
    return node
