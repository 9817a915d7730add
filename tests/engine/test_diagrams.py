"""Every procedure in bpmn/ carries diagram interchange, so modelling tools can draw it."""

from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import BPMN

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}
FILES = sorted(BPMN.glob("*/*.bpmn"))
CONTAINERS = {"task", "sequenceFlow", "lane", "subProcess", "callActivity", "transaction"}


def drawable(element) -> bool:
    name = etree.QName(element).localname
    return name in CONTAINERS or name.endswith(("Task", "Event", "Gateway"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_every_element_is_drawn(path: Path):
    root = etree.parse(str(path)).getroot()
    drawn = {el.get("bpmnElement") for el in root.iterfind(".//bpmndi:BPMNShape", NS)}
    drawn |= {el.get("bpmnElement") for el in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    elements = {
        el.get("id")
        for process in root.iterfind("bpmn:process", NS)
        for el in process.iter()
        if isinstance(el.tag, str) and etree.QName(el).namespace == NS["bpmn"] and drawable(el)
    }
    assert elements and elements <= drawn, sorted(elements - drawn)
