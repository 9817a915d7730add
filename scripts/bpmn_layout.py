"""Add diagram interchange (BPMNDI) to a BPMN file written by hand, so modelling tools draw it.

    .venv/bin/python scripts/bpmn_layout.py bpmn/*/*.bpmn

Layout: left to right by the longest path from a start event, one horizontal band per lane,
boundary events on the lower edge of their task. Any existing BPMNDiagram is replaced. The
result is a starting point a designer can tidy in bpmn.io or Camunda Modeler.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
SIZES = {"event": (36, 36), "gateway": (50, 50), "activity": (110, 80)}
COLUMN, ROW, LANE_HEADER, MARGIN = 170, 120, 30, 40
SKIP = {
    "sequenceFlow",
    "laneSet",
    "boundaryEvent",
    "extensionElements",
    "documentation",
    "dataObject",
    "dataObjectReference",
    "textAnnotation",
    "association",
    "incoming",
    "outgoing",
    "ioSpecification",
}


def local(element) -> str:
    return etree.QName(element).localname


def kind(tag: str) -> str:
    if tag.endswith("Event"):
        return "event"
    if tag.endswith("Gateway"):
        return "gateway"
    return "activity"


def layers(nodes: dict, flows: list) -> dict[str, int]:
    """Column of each node: its longest distance from a node without incoming flows."""
    outgoing, incoming = defaultdict(list), defaultdict(int)
    for _, source, target in flows:
        outgoing[source].append(target)
        incoming[target] += 1
    column = {node: 0 for node in nodes if incoming[node] == 0}
    frontier = list(column)
    visits = 0
    while frontier and visits < 10 * len(nodes) + 10:  # loops back in a process must not spin
        node = frontier.pop(0)
        visits += 1
        for target in outgoing[node]:
            if target in nodes and column.get(target, -1) < column[node] + 1 and column[node] + 1 <= len(nodes):
                column[target] = column[node] + 1
                frontier.append(target)
    for node in nodes:
        column.setdefault(node, 0)
    return column


def layout_process(process, plane, lane_of: dict[str, str], lane_ids: dict[str, str], top: float) -> float:
    """Shapes and edges of one process, lanes stacked from ``top``; returns the bottom."""
    lane_order = list(lane_ids)
    nodes = {el.get("id"): el for el in process if isinstance(el.tag, str) and local(el) not in SKIP and el.get("id")}
    flows = [(f.get("id"), f.get("sourceRef"), f.get("targetRef")) for f in process.iter(f"{{{BPMN}}}sequenceFlow")]
    column = layers(nodes, flows)
    rows_in_lane: dict[tuple[str, int], int] = defaultdict(int)
    row_of = {}
    for node_id in sorted(nodes, key=lambda n: (column[n], list(nodes).index(n))):
        key = (lane_of.get(node_id, ""), column[node_id])
        row_of[node_id] = rows_in_lane[key]
        rows_in_lane[key] += 1
    lanes = lane_order or [""]
    lane_rows = {
        lane: max([rows_in_lane[(row_lane, c)] for (row_lane, c) in rows_in_lane if row_lane == lane] or [1])
        for lane in lanes
    }
    lane_top, y = {}, top
    for lane in lanes:
        lane_top[lane] = y
        y += lane_rows[lane] * ROW + 20
    width = (max(column.values(), default=0) + 1) * COLUMN + MARGIN
    bounds = {}
    for node_id, element in nodes.items():
        w, h = SIZES[kind(local(element))]
        cx = MARGIN + LANE_HEADER + column[node_id] * COLUMN + 60
        cy = (
            lane_top[lane_of.get(node_id, lanes[0]) if lane_of.get(node_id) in lane_top else lanes[0]]
            + 10
            + row_of[node_id] * ROW
            + ROW / 2
        )
        bounds[node_id] = (cx - w / 2, cy - h / 2, w, h)
        shape(plane, node_id, bounds[node_id], gateway=kind(local(element)) == "gateway")
    for boundary in process.iter(f"{{{BPMN}}}boundaryEvent"):
        hx, hy, hw, hh = bounds.get(boundary.get("attachedToRef"), (MARGIN, top, 110, 80))
        siblings = [
            b
            for b in process.iter(f"{{{BPMN}}}boundaryEvent")
            if b.get("attachedToRef") == boundary.get("attachedToRef")
        ]
        offset = siblings.index(boundary)
        bounds[boundary.get("id")] = (hx + hw - 30 - offset * 40, hy + hh - 18, 36, 36)
        shape(plane, boundary.get("id"), bounds[boundary.get("id")])
    for flow_id, source, target in flows:
        if source in bounds and target in bounds:
            edge(plane, flow_id, bounds[source], bounds[target])
    for lane in lane_order:
        lane_id = lane_ids[lane]
        shape(
            plane, lane_id, (MARGIN, lane_top[lane], width + LANE_HEADER, lane_rows[lane] * ROW + 20), horizontal=True
        )
    return y


def shape(plane, element_id, box, *, gateway=False, horizontal=None):
    x, y, w, h = box
    attrs = {"id": f"{element_id}_di", "bpmnElement": element_id}
    if gateway:
        attrs["isMarkerVisible"] = "true"
    if horizontal:
        attrs["isHorizontal"] = "true"
    node = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNShape", attrs)
    etree.SubElement(
        node, f"{{{DC}}}Bounds", {"x": f"{x:.0f}", "y": f"{y:.0f}", "width": f"{w:.0f}", "height": f"{h:.0f}"}
    )


def edge(plane, flow_id, source, target):
    sx, sy, sw, sh = source
    tx, ty, tw, th = target
    start = (sx + sw, sy + sh / 2)
    end = (tx, ty + th / 2)
    if tx <= sx:  # a flow going back: leave from below and come in from below
        start, end = (sx + sw / 2, sy + sh), (tx + tw / 2, ty + th)
        points = [start, (start[0], max(sy + sh, ty + th) + 30), (end[0], max(sy + sh, ty + th) + 30), end]
    elif abs(start[1] - end[1]) < 1:
        points = [start, end]
    else:
        middle = (start[0] + end[0]) / 2
        points = [start, (middle, start[1]), (middle, end[1]), end]
    node = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNEdge", {"id": f"{flow_id}_di", "bpmnElement": flow_id})
    for x, y in points:
        etree.SubElement(node, f"{{{DI}}}waypoint", {"x": f"{x:.0f}", "y": f"{y:.0f}"})


def add_diagram(path: Path) -> None:
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    tree = etree.parse(str(path), parser)
    root = tree.getroot()
    for old in root.findall(f"{{{BPMNDI}}}BPMNDiagram"):
        root.remove(old)
    collaboration = root.find(f"{{{BPMN}}}collaboration")
    diagram = etree.SubElement(root, f"{{{BPMNDI}}}BPMNDiagram", {"id": f"{root.get('id', 'Defs')}_diagram"})
    target = collaboration.get("id") if collaboration is not None else root.find(f"{{{BPMN}}}process").get("id")
    plane = etree.SubElement(diagram, f"{{{BPMNDI}}}BPMNPlane", {"id": f"{target}_plane", "bpmnElement": target})
    top = MARGIN
    participants = {p.get("processRef"): p.get("id") for p in root.iter(f"{{{BPMN}}}participant")}
    for process in root.findall(f"{{{BPMN}}}process"):
        lane_of, lane_ids = {}, {}
        for lane in process.iter(f"{{{BPMN}}}lane"):
            name = lane.get("name") or lane.get("id")
            lane_ids[name] = lane.get("id")
            for ref in lane.findall(f"{{{BPMN}}}flowNodeRef"):
                lane_of[ref.text.strip()] = name
        pool_top = top
        bottom = layout_process(process, plane, lane_of, lane_ids, top)
        if process.get("id") in participants:
            width = max(float(b.get("x")) + float(b.get("width")) for b in plane.iter(f"{{{DC}}}Bounds")) + MARGIN
            pool = etree.Element(
                f"{{{BPMNDI}}}BPMNShape",
                {
                    "id": f"{participants[process.get('id')]}_di",
                    "bpmnElement": participants[process.get("id")],
                    "isHorizontal": "true",
                },
            )
            etree.SubElement(
                pool,
                f"{{{DC}}}Bounds",
                {
                    "x": f"{MARGIN - LANE_HEADER:.0f}",
                    "y": f"{pool_top:.0f}",
                    "width": f"{width:.0f}",
                    "height": f"{bottom - pool_top:.0f}",
                },
            )
            plane.insert(0, pool)
        top = bottom + MARGIN
    etree.cleanup_namespaces(root, top_nsmap={"bpmndi": BPMNDI, "dc": DC, "di": DI})
    tree.write(str(path), xml_declaration=True, encoding="UTF-8", pretty_print=True)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        add_diagram(Path(name))
        print(f"diagram written: {name}")
