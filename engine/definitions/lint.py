"""Lint of BPMN diagrams in the spirit of bpmnlint's recommended rules.

Validation (``engine.validation``) says whether the engine can run a procedure. Lint says what
makes a diagram hard to read or likely to be wrong, even if it runs: every rule gives WARNING
findings that name the element, the rule (bpmnlint's name, in brackets) and the fix.

Rules: start-event-required, end-event-required, no-disconnected, no-implicit-start,
no-implicit-end, label-required, conditional-flows (a choice with no default flow),
superfluous-gateway, fake-join, no-gateway-join-fork, no-duplicate-sequence-flows,
single-blank-start-event.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping

from lxml import etree

from engine.definitions.findings import Finding
from engine.definitions.kinds import listing, words
from engine.definitions.xml import BPMN_NS, Report, describe, load_xml, local_name

CONTAINERS = {"process", "subProcess", "transaction", "adHocSubProcess"}
ACTIVITIES = {
    "task",
    "userTask",
    "manualTask",
    "scriptTask",
    "serviceTask",
    "businessRuleTask",
    "sendTask",
    "receiveTask",
    "callActivity",
    "subProcess",
    "transaction",
    "adHocSubProcess",
}
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
FLOW_NODES = ACTIVITIES | GATEWAYS | EVENTS
CHOICE_GATEWAYS = {"exclusiveGateway", "inclusiveGateway"}


@dataclass
class _Container:
    """The flow nodes and sequence flows directly inside one process or subprocess."""

    element: etree._Element
    file: str
    nodes: list[etree._Element] = field(default_factory=list)
    flows: list[etree._Element] = field(default_factory=list)
    incoming: Counter = field(default_factory=Counter)
    outgoing: dict[str, list[etree._Element]] = field(default_factory=dict)

    @property
    def is_event_subprocess(self) -> bool:
        return self.element.get("triggeredByEvent", "false").lower() == "true"


def lint_bundle(files: Mapping[str, bytes]) -> list[Finding]:
    """WARNING findings for every .bpmn file of the bundle. Never raises; files that cannot be
    read are left to validation, which explains why."""
    report = Report()
    for name, raw in files.items():
        if not str(name).lower().endswith(".bpmn"):
            continue
        _, root = load_xml(Report(), str(name), bytes(raw))
        if root is None:
            continue
        for container in _containers(str(name), root):
            for rule in RULES:
                rule(report, container)
    return report.unique_findings()


def _containers(file: str, root: etree._Element) -> Iterator[_Container]:
    for element in root.iter(tag=etree.Element):
        if etree.QName(element).namespace == BPMN_NS and local_name(element.tag) in CONTAINERS:
            yield _index(_Container(element, file))


def _index(container: _Container) -> _Container:
    for child in container.element:
        if not isinstance(child.tag, str) or etree.QName(child).namespace != BPMN_NS:
            continue
        kind = local_name(child.tag)
        if kind == "sequenceFlow":
            container.flows.append(child)
            container.incoming[child.get("targetRef")] += 1
            container.outgoing.setdefault(child.get("sourceRef"), []).append(child)
        elif kind in FLOW_NODES:
            container.nodes.append(child)
    return container


def _warn(report: Report, container: _Container, rule: str, element: etree._Element, **params) -> None:
    report.add(rule, at=element, file=container.file, **params)


def _kind(element: etree._Element) -> str:
    return local_name(element.tag)


def _has_definition(element: etree._Element, definition: str) -> bool:
    return any(local_name(child.tag) == definition for child in element)


def _is_blank(event: etree._Element) -> bool:
    return not any(local_name(child.tag).endswith("EventDefinition") for child in event)


def _needs_no_incoming(node: etree._Element, container: _Container) -> bool:
    kind = _kind(node)
    return (
        kind in ("startEvent", "boundaryEvent")
        or container.is_event_subprocess
        or node.get("isForCompensation", "false").lower() == "true"
        or (kind == "intermediateCatchEvent" and _has_definition(node, "linkEventDefinition"))
        or (kind == "subProcess" and node.get("triggeredByEvent", "false").lower() == "true")
    )


def _needs_no_outgoing(node: etree._Element, container: _Container) -> bool:
    kind = _kind(node)
    return (
        kind == "endEvent"
        or container.is_event_subprocess
        or node.get("isForCompensation", "false").lower() == "true"
        or (kind == "intermediateThrowEvent" and _has_definition(node, "linkEventDefinition"))
        or (kind == "subProcess" and node.get("triggeredByEvent", "false").lower() == "true")
    )


# --------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------


def start_event_required(report: Report, container: _Container) -> None:
    if container.is_event_subprocess or not container.nodes:
        return
    if not any(_kind(node) == "startEvent" for node in container.nodes):
        _warn(report, container, "start-event-required", container.element)


def end_event_required(report: Report, container: _Container) -> None:
    if container.is_event_subprocess or not container.nodes:
        return
    if not any(_kind(node) == "endEvent" for node in container.nodes):
        _warn(report, container, "end-event-required", container.element)


def no_disconnected(report: Report, container: _Container) -> None:
    for node in container.nodes:
        node_id = node.get("id")
        if _kind(node) == "boundaryEvent" or _needs_no_incoming(node, container) and _kind(node) != "startEvent":
            continue
        if not container.incoming[node_id] and not container.outgoing.get(node_id):
            _warn(report, container, "no-disconnected", node)


def no_implicit_start(report: Report, container: _Container) -> None:
    for node in container.nodes:
        node_id = node.get("id")
        if _needs_no_incoming(node, container) or not container.outgoing.get(node_id):
            continue  # disconnected elements have their own rule
        if not container.incoming[node_id]:
            _warn(report, container, "no-implicit-start", node)


def no_implicit_end(report: Report, container: _Container) -> None:
    for node in container.nodes:
        node_id = node.get("id")
        if _needs_no_outgoing(node, container) or not container.incoming[node_id]:
            continue
        if not container.outgoing.get(node_id):
            _warn(report, container, "no-implicit-end", node)


def label_required(report: Report, container: _Container) -> None:
    for node in container.nodes:
        kind = _kind(node)
        if (node.get("name") or "").strip():
            continue
        splits = kind in GATEWAYS and len(container.outgoing.get(node.get("id"), [])) > 1
        if kind in ACTIVITIES or kind in EVENTS and kind != "boundaryEvent" or splits and kind in CHOICE_GATEWAYS:
            what = "label-question" if kind in GATEWAYS else "label-action"
            _warn(report, container, "label-required", node, what=words(what))


def conditional_flows(report: Report, container: _Container) -> None:
    """A choice whose flows all have conditions and no default fails the case when none matches."""
    for node in container.nodes:
        flows = container.outgoing.get(node.get("id"), [])
        conditional = [flow for flow in flows if _has_definition(flow, "conditionExpression")]
        if not conditional or node.get("default"):
            continue
        if _kind(node) in CHOICE_GATEWAYS and len(conditional) == len(flows) or _kind(node) in ACTIVITIES:
            _warn(report, container, "conditional-flows", node, flows=listing(f.get("id") for f in conditional))


def superfluous_gateway(report: Report, container: _Container) -> None:
    for node in container.nodes:
        if _kind(node) in GATEWAYS and _kind(node) != "eventBasedGateway":
            if container.incoming[node.get("id")] == 1 and len(container.outgoing.get(node.get("id"), [])) == 1:
                _warn(report, container, "superfluous-gateway", node)


def fake_join(report: Report, container: _Container) -> None:
    for node in container.nodes:
        if _kind(node) in ACTIVITIES and container.incoming[node.get("id")] > 1:
            _warn(report, container, "fake-join", node, count=container.incoming[node.get("id")])


def no_gateway_join_fork(report: Report, container: _Container) -> None:
    for node in container.nodes:
        node_id = node.get("id")
        if _kind(node) in GATEWAYS and container.incoming[node_id] > 1 and len(container.outgoing.get(node_id, [])) > 1:
            _warn(report, container, "no-gateway-join-fork", node)


def no_duplicate_sequence_flows(report: Report, container: _Container) -> None:
    seen: dict[tuple, etree._Element] = {}
    for flow in container.flows:
        ends = (flow.get("sourceRef"), flow.get("targetRef"))
        if ends in seen:
            _warn(
                report,
                container,
                "no-duplicate-sequence-flows",
                flow,
                flow=flow.get("id"),
                source=ends[0],
                target=ends[1],
                other=seen[ends].get("id"),
            )
        else:
            seen[ends] = flow


def single_blank_start_event(report: Report, container: _Container) -> None:
    blank = [node for node in container.nodes if _kind(node) == "startEvent" and _is_blank(node)]
    for extra in blank[1:]:
        _warn(report, container, "single-blank-start-event", extra, owner=describe(container.element))


RULES: tuple[Callable[[Report, _Container], None], ...] = (
    start_event_required,
    end_event_required,
    no_disconnected,
    no_implicit_start,
    no_implicit_end,
    label_required,
    conditional_flows,
    superfluous_gateway,
    fake_join,
    no_gateway_join_fork,
    no_duplicate_sequence_flows,
    single_blank_start_event,
)
