"""The simulation's form filler: every form of every procedure in bpmn/ gets valid data."""

from __future__ import annotations

import json
import random
from datetime import date

import jsonschema
import pytest

from tests.conftest import BPMN
from workflows.identifiers import valid_national_id
from workflows.simulation import profile
from workflows.simulation.forms import FormFiller

FORMS = sorted(BPMN.glob("*/*.schema.json"))
TODAY = date(2026, 3, 10)


@pytest.mark.parametrize("path", FORMS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_form_is_filled_with_data_it_accepts(path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    filler = FormFiller(random.Random(1), TODAY, profile.field_rules(path.name.removesuffix(".schema.json")))
    for _ in range(100):
        data = filler.fill(schema)
        errors = [error.message for error in validator.iter_errors(data)]
        assert errors == [], (data, errors)
        for key, value in data.items():
            if key.endswith("national_id"):
                assert valid_national_id(value)


def test_a_national_id_comes_with_its_name_and_documents_are_sometimes_missing():
    schema = json.loads((BPMN / "death_registration" / "receive_application.schema.json").read_text())
    filler = FormFiller(random.Random(3), TODAY, profile.field_rules("receive_application"))
    forms = [filler.fill(schema) for _ in range(300)]
    all_documents = schema["properties"]["documents_presented"]["items"]["enum"]
    incomplete = sum(1 for form in forms if len(form["documents_presented"]) < len(all_documents))
    assert 0.1 < incomplete / len(forms) < 0.3  # profile: 18 %
    from workflows.agencies.simulator.records import PEOPLE

    known = [form for form in forms if form["national_id"] in PEOPLE]
    assert known and all(PEOPLE[form["national_id"]].name == form["applicant_name"] for form in known)
    assert any(
        PEOPLE[form["deceased_national_id"]].name == form["deceased_name"]
        for form in forms
        if form["deceased_national_id"] in PEOPLE
    )


def test_references_and_alternatives_are_followed():
    schema = {
        "$defs": {"phone": {"type": "string", "pattern": "^09[0-9]{8}$"}},
        "type": "object",
        "required": ["contact", "mobile", "copies"],
        "additionalProperties": False,
        "properties": {
            "mobile": {"$ref": "#/$defs/phone"},
            "copies": {"allOf": [{"type": "integer"}, {"minimum": 2, "maximum": 3}]},
            "contact": {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["email"],
                        "properties": {"email": {"type": "string", "format": "email"}},
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "required": ["post"],
                        "properties": {"post": {"type": "string", "maxLength": 3}},
                        "additionalProperties": False,
                    },
                ]
            },
        },
    }
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    filler = FormFiller(random.Random(5), TODAY)
    for _ in range(50):
        data = filler.fill(schema)
        assert list(validator.iter_errors(data)) == [], data


def test_an_owner_moving_in_gives_the_address_the_land_registry_knows_and_others_need_a_check():
    from workflows.agencies.simulator.records import PARCELS

    schema = json.loads((BPMN / "move_in_registration" / "receive_application.schema.json").read_text())
    filler = FormFiller(random.Random(5), TODAY, profile.field_rules("receive_application"))
    owned = {(owner, parcel.building_address) for parcel in PARCELS.values() for owner in parcel.owners}
    forms = [filler.fill(schema) for _ in range(300)]
    own_home = 0
    for form in forms:
        address = form["new_address"]
        line = f"{address['city']}{address['district']}{address['street']}{address['number']}號"
        line += f"{address['floor']}樓" if address.get("floor") else ""
        owner = (form["national_id"], line) in owned
        assert (form["residence_basis"] == "owner") == owner, form
        own_home += owner
    # The land registry establishes the right to live there for a good share (no residence
    # check: one visit), not for all (the others are checked within 3 working days).
    assert 0.15 < own_home / len(forms) < 0.6
