"""Lanes as the engine reads them from the XML: a flow node belongs to the innermost named lane
whose ``flowNodeRef`` lists it, and a node inside a subprocess to its subprocess's lane. Used to
tidy what modellers write (names over several lines, padded references) and by the fix that puts
the tasks drawn in no lane into the lane the designer chooses."""

from __future__ import annotations

from typing import Iterator

from lxml import etree

from engine.definitions.kinds import clean_name
from engine.definitions.xml import BPMN_NS, bpmn_xpath, local_name

# Tasks someone must claim and complete: they need a lane (a group of the office).
WORKED_TASKS = {"userTask", "manualTask", "task"}
_SUBPROCESSES = {"subProcess", "transaction", "adHocSubProcess"}


def tidy_lanes(root: etree._Element) -> None:
    """Lane names without line breaks or padding, ``flowNodeRef`` texts without white space (as
    several modellers pretty-print them), so the engine reads the lanes the designer drew."""
    for lane in bpmn_xpath(root, ".//bpmn:lane"):
        name = clean_name(lane.get("name"))
        if name is None:
            lane.attrib.pop("name", None)
        else:
            lane.set("name", name)
    for ref in bpmn_xpath(root, ".//bpmn:flowNodeRef"):
        ref.text = (ref.text or "").strip()


def lane_of_nodes(process: etree._Element) -> dict[str, etree._Element]:
    """Node id -> the innermost named lane that lists it (document order: children after parents)."""
    lanes = {}
    for lane in bpmn_xpath(process, ".//bpmn:lane"):
        if not clean_name(lane.get("name")):
            continue
        for ref in bpmn_xpath(lane, "./bpmn:flowNodeRef"):
            lanes[(ref.text or "").strip()] = lane
    return lanes


def laneless_tasks(process: etree._Element) -> Iterator[tuple[etree._Element, etree._Element]]:
    """(task, the element to put in a lane) for every user, manual or untyped task in no named
    lane: the task itself, or the subprocess directly in the process that holds it."""
    lanes = lane_of_nodes(process)
    for task in process.iter(*(etree.QName(BPMN_NS, tag).text for tag in WORKED_TASKS)):
        carrier, in_lane = task, task.get("id") in lanes
        node = task.getparent()
        while node is not None and node is not process:
            if local_name(node.tag) in _SUBPROCESSES:
                carrier = node
                in_lane = in_lane or node.get("id") in lanes
            node = node.getparent()
        if not in_lane and node is process:
            yield task, carrier


def named_lanes(process: etree._Element) -> list[etree._Element]:
    return [lane for lane in bpmn_xpath(process, ".//bpmn:lane") if clean_name(lane.get("name"))]
