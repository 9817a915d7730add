"""Automatic rewrites a designer can accept: shapes that are valid BPMN but that the engine does
not run as drawn, rewritten into the equivalent shape it does run. Each fixes one fixable kind of
finding, and the designer sees it as a diff of the XML before accepting it.

- ``implicit-splits``: an activity or event with several outgoing sequence flows, none of them
  conditional, means in BPMN "follow all of them at the same time". The rewrite inserts a
  parallel gateway after it and moves the flows onto it. When some outgoing flow has a condition
  the meaning depends on the conditions (an inclusive choice), so no rewrite is offered.
- ``quote-timers``: timer values written as bare ISO 8601 (``P5D``), as other modellers write
  them, are put in quotes (``"P5D"``): here a timer value is a Python expression.
- ``assign-lane``: user, manual and untyped tasks drawn in no lane are put into the lane the
  designer chooses (an existing lane, by id or name, or a new lane named after a group).
- ``make-executable``: a draft's process is marked executable (the one the designer chooses).

Rewrites keep the file's own namespace prefixes, comments and vendor extensions, and draw what
they add when the diagram draws its neighbours. The diff compares the rewritten file with the
same file read and written without the fix, so it shows only what the fix changed.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Callable, Mapping

from lxml import etree

from engine.definitions.checks import is_draft
from engine.definitions.kinds import ASSIGN_LANE, IMPLICIT_SPLITS, MAKE_EXECUTABLE, QUOTE_TIMERS, words
from engine.definitions.lanes import laneless_tasks, named_lanes
from engine.definitions.timer_checks import quote_timer_body, unquoted_timer_bodies
from engine.definitions.xml import BPMN_NS, NSMAP, Report, bpmn_xpath, describe, load_xml, local_name

DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DD_DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
GATEWAY_SIZE = 50
LANE_HEADER = 30  # the pool's name band, left of its lanes (as bpmn-js draws it)
FIXES = (IMPLICIT_SPLITS, QUOTE_TIMERS, ASSIGN_LANE, MAKE_EXECUTABLE)
# Flow nodes that may not split the flow by themselves (gateways and start events may).
SPLITTERS = {
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
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
}


@dataclass(frozen=True)
class Rewrite:
    """One change made to a file, for the designer to review."""

    file: str
    fix: str
    element_id: str
    element_type: str
    message: str
    message_zh: str
    gateway_id: str | None = None  # implicit-splits: the gateway inserted
    flows: list[str] = field(default_factory=list)  # implicit-splits: the flows moved onto it

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "fix": self.fix,
            "element_id": self.element_id,
            "element_type": self.element_type,
            "gateway_id": self.gateway_id,
            "flows": list(self.flows),
            "message": self.message,
            "messages": {"en": self.message, "zh-TW": self.message_zh},
        }


@dataclass
class FixResult:
    files: dict[str, bytes]  # the whole bundle, rewritten where a fix applied
    rewrites: list[Rewrite]
    diffs: dict[str, str]  # file -> unified diff of what the fixes changed


def _rewrite(file: str, fix: str, subject: etree._Element, code: str, **params) -> Rewrite:
    params.setdefault("element", describe(subject))
    text = words(code, **params)
    return Rewrite(file, fix, subject.get("id"), local_name(subject.tag), text.en, text.zh, **_split_fields(params))


def _split_fields(params: dict) -> dict:
    return {"gateway_id": params["gateway"], "flows": params["flow_ids"]} if "gateway" in params else {}


# --------------------------------------------------------------------------------------
# Applying fixes to a bundle
# --------------------------------------------------------------------------------------


def apply_fixes(
    files: Mapping[str, bytes], fixes: list[str], *, lane: str | None = None, process: str | None = None
) -> FixResult:
    """The bundle with the chosen fixes applied (in the order of FIXES), the rewrites and their
    diffs. Files that cannot be read, or need no change, are returned as they were."""
    steps: dict[str, Callable[[str, etree._Element], list[Rewrite]]] = {
        IMPLICIT_SPLITS: _fix_splits,
        QUOTE_TIMERS: _fix_timers,
        ASSIGN_LANE: lambda name, root: _fix_lanes(name, root, lane) if lane else [],
        MAKE_EXECUTABLE: lambda name, root: _fix_executable(name, root, process),
    }
    result = FixResult(dict(files), [], {})
    for name, raw in files.items():
        if not str(name).lower().endswith(".bpmn"):
            continue
        _, root = load_xml(Report(), name, bytes(raw), keep_comments=True)
        if root is None:
            continue  # validation reports why
        before = _serialize(root)
        changes = [rewrite for fix in FIXES if fix in fixes for rewrite in steps[fix](name, root)]
        if changes:
            after = _serialize(root)
            result.rewrites += changes
            result.files[name] = after
            result.diffs[name] = xml_diff(name, before, after)
    return result


def fix_implicit_splits(files: Mapping[str, bytes]) -> tuple[dict[str, bytes], list[Rewrite]]:
    result = apply_fixes(files, [IMPLICIT_SPLITS])
    return result.files, result.rewrites


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def xml_diff(name: str, before: bytes, after: bytes) -> str:
    lines = difflib.unified_diff(
        _lines(before),
        _lines(after),
        fromfile=f"{name} (as uploaded)",
        tofile=f"{name} (fixed)",
    )
    return "".join(lines)


def _lines(content: bytes) -> list[str]:
    text = content.decode("utf-8")
    return (text if text.endswith("\n") else text + "\n").splitlines(keepends=True)


def processes_to_run(root: etree._Element) -> list[etree._Element]:
    """The processes cases run on: the executable ones, or every one of a draft (none executable)."""
    processes = bpmn_xpath(root, ".//bpmn:process")
    executable = [process for process in processes if not is_draft(process)]
    return executable or processes


# --------------------------------------------------------------------------------------
# implicit-splits
# --------------------------------------------------------------------------------------


def implicit_splits(root: etree._Element) -> list[tuple[etree._Element, list[etree._Element]]]:
    """(element, its outgoing flows) of every activity or intermediate event with several outgoing flows."""
    outgoing: dict[str, list[etree._Element]] = {}
    for flow in bpmn_xpath(root, ".//bpmn:sequenceFlow"):
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
    return [
        (element, outgoing[element.get("id")])
        for element in root.iter(tag=etree.Element)
        if etree.QName(element).namespace == BPMN_NS
        and local_name(element.tag) in SPLITTERS
        and len(outgoing.get(element.get("id"), [])) > 1
    ]


def is_conditional(flow: etree._Element) -> bool:
    return bool(bpmn_xpath(flow, "bpmn:conditionExpression"))


def _fix_splits(file: str, root: etree._Element) -> list[Rewrite]:
    return [
        insert_gateway(file, root, element, flows)
        for element, flows in implicit_splits(root)
        if not any(is_conditional(flow) for flow in flows)
    ]


def insert_gateway(
    file: str, root: etree._Element, element: etree._Element, flows: list[etree._Element], tag: str = "parallelGateway"
) -> Rewrite:
    """Insert a gateway after ``element`` and move its outgoing ``flows`` onto it."""
    element_id = element.get("id")
    ids = {node.get("id") for node in root.iter(tag=etree.Element)}
    gateway_id = _free_id(f"{element_id}_split", ids)
    link_id = _free_id(f"{element_id}_to_split", ids)
    container = flows[0].getparent()
    gateway = etree.Element(etree.QName(BPMN_NS, tag), id=gateway_id)
    _place(container, element, gateway)
    _new(container, "sequenceFlow", id=link_id, sourceRef=element_id, targetRef=gateway_id)
    _child(gateway, "incoming", link_id)
    for ref in bpmn_xpath(element, "bpmn:outgoing"):
        _remove(ref)
    _child(element, "outgoing", link_id)
    default = element.attrib.pop("default", None)
    if default:
        gateway.set("default", default)
    for flow in flows:
        flow.set("sourceRef", gateway_id)
        _child(gateway, "outgoing", flow.get("id"))
    _draw_gateway(root, element_id, gateway_id, link_id)
    names = [flow.get("id") for flow in flows]
    return _rewrite(
        file,
        IMPLICIT_SPLITS,
        element,
        "rewrite-implicit-split",
        gateway=gateway_id,
        flows=", ".join(names),
        flow_ids=names,
        element=describe(element),
    )


def _place(container: etree._Element, element: etree._Element, gateway: etree._Element) -> None:
    """Right after the element when it sits in the flows' container (a boundary event sits in the
    same process as its flows), else at the container's end."""
    if element.getparent() is container:
        _insert(container, container.index(element) + 1, gateway)
    else:
        _append(container, gateway)


def _insert(parent: etree._Element, index: int, element: etree._Element) -> etree._Element:
    """Insert ``element`` at ``index``, on a line of its own indented like its neighbours (so the
    diff shows it as added lines, not as a changed line)."""
    if index >= len(parent):
        return _append(parent, element)
    before = parent.text if index == 0 else parent[index - 1].tail
    parent.insert(index, element)
    if before is not None and not before.strip():
        element.tail = before
    return element


def _append(parent: etree._Element, element: etree._Element) -> etree._Element:
    """Append ``element`` after the last child, indented like it (the last child's tail is the
    indentation of the parent's closing tag: the new element takes it over)."""
    if len(parent):
        last = parent[-1]
        indent = parent[-2].tail if len(parent) > 1 else parent.text
        element.tail = last.tail
        if indent is not None and not indent.strip():
            last.tail = indent
    parent.append(element)
    return element


def _remove(child: etree._Element) -> None:
    """Remove ``child``, keeping the indentation of its parent's closing tag."""
    parent, previous = child.getparent(), child.getprevious()
    if child.getnext() is None:
        if previous is not None:
            previous.tail = child.tail
        else:
            parent.text = child.tail
    parent.remove(child)


def _new(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    return _append(parent, etree.Element(etree.QName(BPMN_NS, tag), **attributes))


_LEADING_CHILDREN = {"documentation", "extensionElements", "incoming", "outgoing"}


def _child(parent: etree._Element, tag: str, text: str) -> None:
    """Add ``<incoming>``/``<outgoing>`` after the leading children, where the BPMN schema wants it
    (before a script, a loop or an I/O specification)."""
    element = etree.Element(etree.QName(BPMN_NS, tag))
    element.text = text
    leading = [index for index, child in enumerate(parent) if local_name(child.tag) in _LEADING_CHILDREN]
    _insert(parent, leading[-1] + 1 if leading else 0, element)


def _free_id(wanted: str, taken: set) -> str:
    candidate, number = wanted, 2
    while candidate in taken:
        candidate, number = f"{wanted}_{number}", number + 1
    taken.add(candidate)
    return candidate


def _bounds(root: etree._Element, element_id: str) -> tuple[etree._Element, tuple[float, ...]] | None:
    """(the shape, its x, y, width, height) of the element, if the diagram draws it."""
    shapes = root.xpath(".//di:BPMNShape[@bpmnElement=$id]", namespaces={"di": DI_NS}, id=element_id)
    bounds = shapes[0].find(f"{{{DC_NS}}}Bounds") if shapes else None
    if bounds is None:
        return None
    try:
        return shapes[0], tuple(float(bounds.get(name, "0")) for name in ("x", "y", "width", "height"))
    except ValueError:
        return None  # a diagram the modeler will redraw anyway


def _draw_gateway(root: etree._Element, element_id: str, gateway_id: str, link_id: str) -> None:
    """A shape right of the element and an edge to it, when the diagram draws the element."""
    drawn = _bounds(root, element_id)
    if drawn is None:
        return
    shape, (x, y, width, height) = drawn
    left, top = x + width + 25, y + height / 2 - GATEWAY_SIZE / 2
    plane = shape.getparent()
    _shape(plane, gateway_id, (left, top, GATEWAY_SIZE, GATEWAY_SIZE))
    edge = _append(plane, etree.Element(etree.QName(DI_NS, "BPMNEdge"), id=f"{link_id}_di", bpmnElement=link_id))
    for point_x in (x + width, left):
        etree.SubElement(edge, etree.QName(DD_DI_NS, "waypoint"), x=_num(point_x), y=_num(y + height / 2))


def _shape(plane: etree._Element, element_id: str, box: tuple[float, ...], **attributes: str) -> None:
    shape = _append(
        plane,
        etree.Element(etree.QName(DI_NS, "BPMNShape"), id=f"{element_id}_di", bpmnElement=element_id, **attributes),
    )
    etree.SubElement(
        shape, etree.QName(DC_NS, "Bounds"), **dict(zip(("x", "y", "width", "height"), (_num(v) for v in box)))
    )


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"


# --------------------------------------------------------------------------------------
# quote-timers
# --------------------------------------------------------------------------------------


def _fix_timers(file: str, root: etree._Element) -> list[Rewrite]:
    rewrites = []
    for process in processes_to_run(root):
        for definition, body in unquoted_timer_bodies(process):
            event = definition.getparent()
            value = quote_timer_body(body)
            rewrites.append(
                _rewrite(file, QUOTE_TIMERS, event, "rewrite-quote-timer", field=local_name(body.tag), value=value)
            )
    return rewrites


# --------------------------------------------------------------------------------------
# assign-lane
# --------------------------------------------------------------------------------------


def _fix_lanes(file: str, root: etree._Element, wanted: str) -> list[Rewrite]:
    rewrites = []
    for process in processes_to_run(root):
        unassigned = list(laneless_tasks(process))
        if not unassigned:
            continue
        lane = next((lane for lane in named_lanes(process) if wanted in (lane.get("id"), _name(lane))), None)
        if lane is None:
            lane = _new_lane(root, process, wanted)
            rewrites.append(
                _rewrite(file, ASSIGN_LANE, process, "rewrite-new-lane", lane=wanted, process=describe(process))
            )
        listed = {(ref.text or "").strip() for ref in bpmn_xpath(lane, "./bpmn:flowNodeRef")}
        for task, carrier in unassigned:
            if carrier.get("id") not in listed:
                listed.add(carrier.get("id"))
                ref = _new(lane, "flowNodeRef")
                ref.text = carrier.get("id")
            rewrites.append(
                _rewrite(file, ASSIGN_LANE, task, "rewrite-assign-lane", lane=_name(lane), element=describe(task))
            )
    return rewrites


def _name(lane: etree._Element) -> str:
    return " ".join((lane.get("name") or "").split())


def _new_lane(root: etree._Element, process: etree._Element, name: str) -> etree._Element:
    """A lane named ``name`` in the process's lane set (made if missing). When the process is a
    pool drawn without lanes, the lane is drawn over the whole pool, as bpmn-js draws a first lane."""
    lane_sets = bpmn_xpath(process, "./bpmn:laneSet")
    drawn_pool = None if lane_sets else _pool_bounds(root, process)
    if lane_sets:
        lane_set = lane_sets[0]
    else:
        ids = {node.get("id") for node in root.iter(tag=etree.Element)}
        lane_set = etree.Element(etree.QName(BPMN_NS, "laneSet"), id=_free_id(f"{process.get('id')}_lanes", ids))
        leading = [
            i for i, child in enumerate(process) if local_name(child.tag) in ("documentation", "extensionElements")
        ]
        _insert(process, leading[-1] + 1 if leading else 0, lane_set)
    ids = {node.get("id") for node in root.iter(tag=etree.Element)}
    lane = _new(lane_set, "lane", id=_free_id(f"lane_{_slug(name)}", ids), name=name)
    if drawn_pool is not None:
        shape, (x, y, width, height) = drawn_pool
        _shape(
            shape.getparent(), lane.get("id"), (x + LANE_HEADER, y, width - LANE_HEADER, height), isHorizontal="true"
        )
    return lane


def _slug(name: str) -> str:
    slug = "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in name.lower()).strip("_")
    return slug or "group"


def _pool_bounds(root: etree._Element, process: etree._Element):
    participants = root.xpath(".//bpmn:participant[@processRef=$id]", namespaces=NSMAP, id=process.get("id"))
    return _bounds(root, participants[0].get("id")) if participants else None


# --------------------------------------------------------------------------------------
# make-executable
# --------------------------------------------------------------------------------------


def _fix_executable(file: str, root: etree._Element, wanted: str | None) -> list[Rewrite]:
    processes = bpmn_xpath(root, ".//bpmn:process")
    if any(not is_draft(process) for process in processes):
        return []  # not a draft: its processes marked not executable are documentation
    chosen = [p for p in processes if p.get("id") == wanted] if wanted else processes[:1] if len(processes) == 1 else []
    for process in chosen:
        process.set("isExecutable", "true")
    return [_rewrite(file, MAKE_EXECUTABLE, p, "rewrite-make-executable", process=describe(p)) for p in chosen]
