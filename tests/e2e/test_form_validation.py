"""The task form's checks in the browser (api/web/static/js/forms.js) find the same fields wrong
as the server's jsonschema does, for every form of every procedure and many kinds of wrong input."""

from __future__ import annotations

import json

import pytest
from jsonschema.validators import validator_for

from workflows import form_formats

from ..conftest import BPMN
from .conftest import wait_ready

pytestmark = pytest.mark.e2e

FORMS = sorted(BPMN.glob("*/*.schema.json"))


def candidates(schema: dict) -> list:
    """Values right and wrong for a property: wrong types, empty, too long, out of range..."""
    kind = schema.get("type")
    values = [
        None,
        True,
        12,
        1.5,
        "",
        "x",
        "A123456789",
        "A123456788",
        "a123456789",
        "AA12345678",
        "A12345678Z",
        "a" * 300,
        [],
        {},
        "2026-02-30",
        "2026-02-28",
        "20260228",
        "someone@example.tw",
        "09123456789",
        "0912345678",
        "中文名字",
    ]
    if "enum" in schema:
        values += schema["enum"] + ["not-an-option"]
    if kind in ("integer", "number"):
        values += [schema.get("minimum", 0) - 1, schema.get("minimum", 0), schema.get("maximum", 100) + 1, 2]
    if kind == "array" and "enum" in schema.get("items", {}):
        options = schema["items"]["enum"]
        values += [options[:1], options[:1] * 2, [*options[:1], "other"], options]
    if kind == "object":
        values += [{name: "x" for name in schema.get("properties", {})}, {"unknown": 1}]
    return values


def samples(schema: dict) -> list[dict]:
    properties = schema.get("properties", {})
    full = {name: "x" for name in properties}
    found = [{}, full, {"unknown_field": 1}]
    for name, child in properties.items():
        for value in candidates(child):
            found.append({name: value})
            found.append({**full, name: value})
    return found


def server_fields(schema: dict, data: dict) -> set[str]:
    """The fields the server names (engine.cases.inputs.validate_form), with the office's formats."""
    base = validator_for(schema)
    validator = base(schema, format_checker=form_formats().checker(base.FORMAT_CHECKER))
    return {"/".join(str(part) for part in error.absolute_path) or "(form)" for error in validator.iter_errors(data)}


def test_the_browser_finds_the_same_fields_wrong_as_the_server(page, web):
    page.goto(web.url("/app/#/status"))
    wait_ready(page, "status")
    checked = 0
    for path in FORMS:
        schema = json.loads(path.read_text(encoding="utf-8"))
        cases = samples(schema)
        # The browser names a missing or unexpected field itself; the server names its parent object.
        browser = page.evaluate(
            """async ([schema, cases]) => {
            const { validate } = await import('/app/static/js/forms.js');
            return cases.map((data) => [...new Set(validate(schema, data).map((error) =>
              error.keyword === 'err_required' || error.keyword === 'err_additional'
                ? (error.field.split('/').slice(0, -1).join('/') || '(form)') : error.field))].sort());
        }""",
            [schema, cases],
        )
        for data, fields in zip(cases, browser):
            assert set(fields) == server_fields(schema, data), f"{path.parent.name}/{path.name}: {data!r}"
            checked += 1
    assert checked > 1000
