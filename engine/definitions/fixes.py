"""Automatic rewrites a designer can accept: shapes that are valid BPMN but that the engine does
not run as drawn, rewritten into the equivalent shape it does run.

Implicit parallel split: an activity with several outgoing sequence flows, none of them
conditional, means in BPMN "follow all of them at the same time". The rewrite inserts a parallel
gateway after the activity and moves the flows onto it. When some outgoing flow has a condition
the meaning depends on the conditions (an inclusive choice), so no rewrite is offered: the
validation finding explains what to add by hand.

The rewrite keeps the file's own namespace prefixes and vendor extensions, and adds a shape for
the new gateway when the diagram has one for the activity.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from lxml import etree

from engine.definitions.xml import BPMN_NS, Report, bpmn_xpath, load_xml, local_name

DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
GATEWAY_SIZE = 50
IMPLICIT_SPLITS = "implicit-splits"
FIXES = (IMPLICIT_SPLITS,)
_ACTIVITIES = {
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
}


@dataclass(frozen=True)
class Rewrite:
    """One change made to a file, for the designer to review."""

    file: str
    element_id: str
    element_type: str
    gateway_id: str
    flows: list[str]
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def fix_implicit_splits(files: dict[str, bytes]) -> tuple[dict[str, bytes], list[Rewrite]]:
    """The bundle with a parallel gateway inserted after every unconditional implicit split.
    Files that cannot be read, or need no change, are returned as they were."""
    fixed, rewrites = dict(files), []
    for name, raw in files.items():
        if not name.lower().endswith(".bpmn"):
            continue
        _, root = load_xml(Report(), name, bytes(raw))
        if root is None:
            continue  # validation reports why
        changes = [_split(name, root, activity) for activity in _unconditional_splits(root)]
        if changes:
            rewrites += changes
            fixed[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return fixed, rewrites


def _unconditional_splits(root: etree._Element) -> list[etree._Element]:
    outgoing: dict[str, list[etree._Element]] = {}
    for flow in bpmn_xpath(root, ".//bpmn:sequenceFlow"):
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
    return [
        element
        for element in root.iter(tag=etree.Element)
        if etree.QName(element).namespace == BPMN_NS
        and local_name(element.tag) in _ACTIVITIES
        and len(outgoing.get(element.get("id"), [])) > 1
        and not any(_is_conditional(flow) for flow in outgoing[element.get("id")])
    ]


def _is_conditional(flow: etree._Element) -> bool:
    return bool(bpmn_xpath(flow, "bpmn:conditionExpression"))


def _split(file: str, root: etree._Element, activity: etree._Element) -> Rewrite:
    activity_id = activity.get("id")
    ids = {element.get("id") for element in root.iter(tag=etree.Element)}
    gateway_id = _free_id(f"{activity_id}_split", ids)
    link_id = _free_id(f"{activity_id}_to_split", ids)
    container = activity.getparent()
    flows = [flow for flow in bpmn_xpath(container, "bpmn:sequenceFlow") if flow.get("sourceRef") == activity_id]
    gateway = etree.Element(etree.QName(BPMN_NS, "parallelGateway"), id=gateway_id)
    activity.addnext(gateway)
    etree.SubElement(
        container, etree.QName(BPMN_NS, "sequenceFlow"), id=link_id, sourceRef=activity_id, targetRef=gateway_id
    )
    _child(gateway, "incoming", link_id)
    for ref in bpmn_xpath(activity, "bpmn:outgoing"):
        activity.remove(ref)
    _child(activity, "outgoing", link_id)
    for flow in flows:
        flow.set("sourceRef", gateway_id)
        _child(gateway, "outgoing", flow.get("id"))
    _draw_gateway(root, activity_id, gateway_id, link_id)
    names = [flow.get("id") for flow in flows]
    return Rewrite(
        file,
        activity_id,
        local_name(activity.tag),
        gateway_id,
        names,
        f"Inserted parallel gateway '{gateway_id}' after {local_name(activity.tag)} "
        f"'{activity_id}': its flows {', '.join(names)} now leave the gateway, so all of "
        "them are followed at the same time, as the diagram meant.",
    )


_LEADING_CHILDREN = {"documentation", "extensionElements", "incoming", "outgoing"}


def _child(parent: etree._Element, tag: str, text: str) -> None:
    """Add ``<incoming>``/``<outgoing>`` after the leading children, where the BPMN schema wants it
    (before a script, a loop or an I/O specification)."""
    element = etree.Element(etree.QName(BPMN_NS, tag))
    element.text = text
    leading = [index for index, child in enumerate(parent) if local_name(child.tag) in _LEADING_CHILDREN]
    parent.insert(leading[-1] + 1 if leading else 0, element)


def _free_id(wanted: str, taken: set) -> str:
    candidate, number = wanted, 2
    while candidate in taken:
        candidate, number = f"{wanted}_{number}", number + 1
    taken.add(candidate)
    return candidate


def _draw_gateway(root: etree._Element, activity_id: str, gateway_id: str, link_id: str) -> None:
    """A shape right of the activity and an edge to it, when the diagram draws the activity."""
    shapes = root.xpath(".//di:BPMNShape[@bpmnElement=$id]", namespaces={"di": DI_NS}, id=activity_id)
    bounds = shapes[0].find(f"{{{DC_NS}}}Bounds") if shapes else None
    if bounds is None:
        return
    try:
        x, y, width, height = (float(bounds.get(name, "0")) for name in ("x", "y", "width", "height"))
    except ValueError:
        return  # a diagram the modeler will redraw anyway
    left, top = x + width + 25, y + height / 2 - GATEWAY_SIZE / 2
    shape = etree.SubElement(
        shapes[0].getparent(), etree.QName(DI_NS, "BPMNShape"), id=f"{gateway_id}_di", bpmnElement=gateway_id
    )
    etree.SubElement(
        shape,
        etree.QName(DC_NS, "Bounds"),
        x=_num(left),
        y=_num(top),
        width=str(GATEWAY_SIZE),
        height=str(GATEWAY_SIZE),
    )
    edge = etree.SubElement(
        shapes[0].getparent(), etree.QName(DI_NS, "BPMNEdge"), id=f"{link_id}_di", bpmnElement=link_id
    )
    for point_x in (x + width, left):
        etree.SubElement(
            edge,
            etree.QName("http://www.omg.org/spec/DD/20100524/DI", "waypoint"),
            x=_num(point_x),
            y=_num(y + height / 2),
        )


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"
