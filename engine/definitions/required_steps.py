"""Required steps: where a procedure declares them, every path from the start passes them.

A step is declared required with the property ``requiredStep`` = ``true`` (e.g. the rating every
case ends with). An end event where a case may legitimately finish without the required steps
(a rejected application is not rated) carries ``withoutRequiredSteps`` = ``true``. Then a path
from a start event that can finish anywhere else without passing every required step is an
error (the kinds required-step-*): deploying such a diagram would let cases end unrated while the diagram looks executable.

The question asked of each flow node is "can a token here finish the case without passing the
required step?", answered as the least fixpoint over the flow graph (loops included):
- a required step answers no; a node with nowhere to go (an end event, or a dead end) answers yes,
  unless it is an end event marked ``withoutRequiredSteps``;
- a choice (exclusive, inclusive or event-based gateway, conditional flows, an interrupting
  boundary event) answers yes if any of its ways does;
- a fork (parallel gateway, or flows without conditions leaving a task) answers yes only if all
  its branches do: one branch reaching the step is enough, the case waits for all of them;
- a non-interrupting boundary event starts a side branch while the main path goes on: its
  branch is not a way out of the main path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from engine.definitions.xml import SPIFF_NS, Report, describe, local_name

REQUIRED = "requiredStep"
EXEMPT = "withoutRequiredSteps"
CONTAINERS = {"process", "subProcess", "transaction", "adHocSubProcess"}
NOT_NODES = {
    "sequenceFlow",
    "laneSet",
    "dataObject",
    "dataObjectReference",
    "dataStoreReference",
    "textAnnotation",
    "association",
    "extensionElements",
    "documentation",
    "ioSpecification",
    "property",
}
ANY_WAY = {"exclusiveGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}


@dataclass
class _Graph:
    nodes: dict[str, etree._Element] = field(default_factory=dict)
    flows: dict[str, list[etree._Element]] = field(default_factory=dict)  # source id -> flows
    boundaries: dict[str, list[etree._Element]] = field(default_factory=dict)  # activity id -> events
    incoming: set[str] = field(default_factory=set)


def _properties(element: etree._Element) -> dict[str, str]:
    return {
        prop.get("name"): prop.get("value")
        for prop in element.iterfind(f"{{*}}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property")
    }


def _flagged(element: etree._Element, name: str) -> bool:
    return (_properties(element).get(name) or "").strip().lower() == "true"


def _graph(container: etree._Element) -> _Graph:
    graph = _Graph()
    for child in container:
        if not isinstance(child.tag, str) or child.get("id") is None:
            continue
        kind = local_name(child.tag)
        if kind == "sequenceFlow":
            graph.flows.setdefault(child.get("sourceRef"), []).append(child)
            graph.incoming.add(child.get("targetRef"))
        elif kind not in NOT_NODES:
            graph.nodes[child.get("id")] = child
            if kind == "boundaryEvent":
                graph.boundaries.setdefault(child.get("attachedToRef"), []).append(child)
    return graph


def _ways(graph: _Graph, node: etree._Element) -> tuple[list[str], bool]:
    """The nodes a token may go on to, and whether it goes to all of them (a fork)."""
    flows = [flow for flow in graph.flows.get(node.get("id"), []) if flow.get("targetRef") in graph.nodes]
    targets = [flow.get("targetRef") for flow in flows]
    interrupting = [
        event.get("id")
        for event in graph.boundaries.get(node.get("id"), [])
        if event.get("cancelActivity", "true").lower() != "false"
    ]
    kind = local_name(node.tag)
    conditional = any(flow.find("{*}conditionExpression") is not None for flow in flows)
    fork = len(targets) > 1 and (kind == "parallelGateway" or (kind not in ANY_WAY and not conditional))
    if fork and interrupting:
        return targets + interrupting, False  # the task may end by its boundary event instead
    return targets + interrupting, fork


def _escaping(graph: _Graph, required: set[str]) -> set[str]:
    """The nodes from which the case can finish without passing a required step (least fixpoint)."""
    escapes: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node_id, node in graph.nodes.items():
            if node_id in escapes or node_id in required:
                continue
            ways, fork = _ways(graph, node)
            if not ways:
                answer = not (local_name(node.tag) == "endEvent" and _flagged(node, EXEMPT))
            elif fork:
                answer = all(way in escapes for way in ways)
            else:
                answer = any(way in escapes for way in ways)
            if answer:
                escapes.add(node_id)
                changed = True
    return escapes


def _starts(graph: _Graph) -> list[etree._Element]:
    return [
        node
        for node_id, node in graph.nodes.items()
        if local_name(node.tag) == "startEvent" and node_id not in graph.incoming
    ]


def _reachable(graph: _Graph, start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node_id = todo.pop()
        if node_id in seen or node_id not in graph.nodes:
            continue
        seen.add(node_id)
        todo.extend(_ways(graph, graph.nodes[node_id])[0])
        todo.extend(event.get("id") for event in graph.boundaries.get(node_id, []))
    return seen


def _dead_ends(graph: _Graph, start: str, escapes: set[str]) -> list[etree._Element]:
    """Where the escaping paths from ``start`` end (following only nodes that escape)."""
    seen, todo, ends = set(), [start], []
    while todo:
        node_id = todo.pop(0)
        if node_id in seen:
            continue
        seen.add(node_id)
        ways, _ = _ways(graph, graph.nodes[node_id])
        if not ways:
            ends.append(graph.nodes[node_id])
        todo.extend(way for way in ways if way in escapes)
    return ends


def check_required_steps(report: Report, file: str, root: etree._Element) -> None:
    """ERROR findings for every process (or subprocess) of ``root`` that declares required steps
    and lets a case finish without them."""
    for container in root.iter(tag=etree.Element):
        if local_name(container.tag) not in CONTAINERS:
            continue
        graph = _graph(container)
        required = {node_id for node_id, node in graph.nodes.items() if _flagged(node, REQUIRED)}
        if not required:
            continue
        steps = [describe(graph.nodes[node_id]) for node_id in sorted(required)]
        escapes = _escaping(graph, required)
        reached: set[str] = set()
        for start in _starts(graph):
            reached |= _reachable(graph, start.get("id"))
            if start.get("id") not in escapes:
                continue
            for end in _dead_ends(graph, start.get("id"), escapes):
                kind = "required-step-skipped" if local_name(end.tag) == "endEvent" else "required-step-dead-end"
                report.add(kind, at=end, file=file, steps=steps)
        for node_id in sorted(required - reached):
            report.add("required-step-unreachable", at=graph.nodes[node_id], file=file)
