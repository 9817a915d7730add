"""Every option of every form in bpmn/ has a label in both languages (workflows/vocabulary.py)."""

from __future__ import annotations

import json

from tests.conftest import BPMN
from workflows.vocabulary import OPTION_LABELS


def options(schema) -> set:
    """The enum values anywhere in a JSON Schema (properties, items, allOf, if/then...)."""
    found = set()
    if isinstance(schema, dict):
        found.update(schema.get("enum", []))
        for value in schema.values():
            found |= options(value)
    elif isinstance(schema, list):
        for value in schema:
            found |= options(value)
    return found


def test_every_form_option_has_a_chinese_and_an_english_label():
    unlabelled = {}
    for path in sorted(BPMN.glob("*/*.schema.json")):
        missing = {
            value for value in options(json.loads(path.read_text(encoding="utf-8"))) if value not in OPTION_LABELS
        }
        if missing:
            unlabelled[f"{path.parent.name}/{path.name}"] = sorted(missing)
    assert unlabelled == {}
    assert all(zh.strip() and en.strip() for zh, en in OPTION_LABELS.values())


def test_no_label_is_left_over_from_a_removed_option():
    used = set().union(
        *(options(json.loads(path.read_text(encoding="utf-8"))) for path in BPMN.glob("*/*.schema.json"))
    )
    assert set(OPTION_LABELS) - used == set()


def test_every_required_document_of_the_decision_table_has_a_label():
    """The one-time notice names missing documents from the DMN: each by its label."""
    from lxml import etree

    root = etree.parse(str(BPMN.parent / "bpmn_shared" / "required_documents.dmn")).getroot()
    codes = set()
    for entry in root.iter("{*}outputEntry"):
        codes |= set(json.loads(entry.findtext("{*}text")))
    assert len(codes) > 10 and codes - set(OPTION_LABELS) == set()


def bpmn_elements():
    from lxml import etree

    for path in sorted(BPMN.glob("*/*.bpmn")):
        for element in etree.parse(str(path)).getroot().iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}*"):
            yield path, etree.QName(element).localname, element


def test_every_lane_channel_agency_check_and_answer_has_labels():
    from workflows.agencies.operations import OPERATIONS
    from workflows.agencies.settings import AGENCIES
    from workflows.vocabulary import (
        AGENCY_LABELS,
        ANSWER_FIELD_LABELS,
        CHANNEL_LABELS,
        FAILURE_LABELS,
        LANE_LABELS,
        OPERATION_LABELS,
    )

    lanes = {element.get("name") for _path, kind, element in bpmn_elements() if kind == "lane"}
    assert lanes - set(LANE_LABELS) == set()
    assert set(CHANNEL_LABELS) == {"counter", "online", "home_visit"}
    assert set(AGENCY_LABELS) == set(AGENCIES) and set(OPERATION_LABELS) == set(OPERATIONS)
    fields = {name for operation in OPERATIONS.values() for name in operation.answer}
    assert fields - set(ANSWER_FIELD_LABELS) == set()
    from workflows.agencies import client

    assert set(FAILURE_LABELS) == {client.UNAVAILABLE, client.INVALID_ANSWER, client.REFUSED, client.CIRCUIT_OPEN}


STEPS = {"userTask", "manualTask", "serviceTask", "scriptTask", "callActivity", "receiveTask", "businessRuleTask"}


def test_every_step_a_clerk_or_applicant_reads_is_named_in_both_languages():
    """Steps are named "中文 English": the pages show the half of the chosen language."""
    import re

    one_language = {
        f"{path.parent.name}/{path.name}: {element.get('name')}"
        for path, kind, element in bpmn_elements()
        if kind in STEPS and not re.match(r"^\S*[\u3400-\u9fff]\S*\s+[A-Za-z]", element.get("name") or "")
    }
    assert one_language == set()
