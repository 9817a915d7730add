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
