"""Filling a task's JSON Schema form with plausible data, for any procedure.

The filler knows JSON Schema (types, enums, formats, patterns, lengths, bounds, nested objects
and arrays) and a few conventions of the office's forms, by field name, not by procedure:
national ID numbers (with a valid checksum, often of a person the simulated household
register knows, so the agency checks find them), the name that goes with such a number,
structured addresses, and dates near the simulated day. Anything else a procedure needs
decided (documents missing, a check's outcome) comes from the rules in ``profile``.
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from typing import Any, Callable, Mapping

import jsonschema
from rstr.xeger import Xeger

from ..agencies.simulator.records import HOUSEHOLDS, PEOPLE
from ..identifiers import ID_PATTERN, make_national_id

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
GIVEN = "志明淑芬家豪怡君俊傑雅婷建宏美玲宗翰佳穎冠宇欣怡承恩詩涵"
# (city, district, street): real places, invented numbers.
PLACES = (
    ("臺北市", "大安區", "仁愛路四段"),
    ("臺北市", "信義區", "松仁路"),
    ("新北市", "板橋區", "文化路一段"),
    ("新北市", "中和區", "中山路二段"),
    ("桃園市", "中壢區", "中央西路二段"),
    ("臺中市", "西屯區", "臺灣大道三段"),
    ("臺南市", "東區", "大學路"),
    ("高雄市", "苓雅區", "四維三路"),
    ("高雄市", "鳳山區", "光復路二段"),
)
FACILITIES = ("臺大醫院", "馬偕紀念醫院", "長庚紀念醫院", "榮民總醫院", "自宅")
ADDRESS_LINE = re.compile(
    r"(?P<city>..[市縣])(?P<district>.+?[區鄉鎮市])(?P<street>.+?)(?P<number>[0-9]+(?:之[0-9]+)?)號(?:(?P<floor>[0-9]+)樓)?"
)
KNOWN_PERSON_SHARE = 0.75  # applicants the simulated household register knows
ACTIVE_PEOPLE = tuple(sorted(p for p, person in PEOPLE.items() if person.record_status == "active"))
NATIONAL_ID = "national_id"
CONFIRMED_SHARE = 0.97


class _ShortXeger(Xeger):
    """rstr's regex generator, with ``*`` and ``+`` repeated a few times rather than up to 100."""

    def _handle_repeat(self, start_range: int, end_range: int, value: str) -> str:
        return super()._handle_repeat(start_range, min(end_range, start_range + 3), value)


FieldRule = Callable[["FormFiller", str, dict], Any]
SKIP = object()  # a rule's answer: leave this optional field out


class FormFiller:
    """Fills forms with ``rng``; ``today`` is the simulated office day; ``rules`` maps a field
    name to a function (filler, name, schema) -> value (or ``SKIP``) that wins over the schema."""

    def __init__(self, rng: random.Random, today: date, rules: Mapping[str, FieldRule] | None = None) -> None:
        self.rng = rng
        self.today = today
        self.rules = dict(rules or {})
        self._xeger = _ShortXeger(rng)
        self._people: dict[str, tuple[str, str]] = {}  # national-ID field prefix -> (id, name)
        self._root: dict = {}
        self.facts: dict[str, Any] = {}  # what a rule decided, for the rules of later fields of the form

    # ------------------------------------------------------------------ people
    def person(self, prefix: str = "") -> tuple[str, str]:
        """The (national ID, name) this form uses for the person whose fields start ``prefix``."""
        if prefix not in self._people:
            if self.rng.random() < KNOWN_PERSON_SHARE:
                known = PEOPLE[self.rng.choice(ACTIVE_PEOPLE)]
                self._people[prefix] = (known.national_id, known.name)
            else:
                self._people[prefix] = (make_national_id(self.rng), self.name())
        return self._people[prefix]

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(2))

    def household_number(self) -> str:
        return self.rng.choice(sorted(HOUSEHOLDS))

    def structured_address(self, line: str, schema: dict) -> dict:
        """An address written as one line (臺北市大安區仁愛路四段100號5樓) in the form's parts."""
        match = ADDRESS_LINE.fullmatch(line)
        if match is None:
            raise ValueError(f"not an address line: {line}")
        parts = {key: value for key, value in match.groupdict().items() if value}
        if "floor" in parts:
            parts["floor"] = int(parts["floor"])
        return {key: value for key, value in parts.items() if key in schema.get("properties", {})}

    # ------------------------------------------------------------------ schema
    def fill(self, schema: dict, overrides: Mapping[str, Any] | None = None) -> dict:
        """A value for an object schema (a task's form); ``overrides`` fix top-level fields."""
        self._people = {}
        self._root = schema
        self.facts = {}
        return self._object(self._resolve(schema), overrides or {})

    def _resolve(self, schema: dict) -> dict:
        """One plain schema from local ``$ref``s, ``allOf`` (merged) and ``oneOf``/``anyOf``
        (one alternative, merged with the rest). ``if``/``then``/``else`` are kept aside under
        CONDITIONALS: they apply once the object's other fields are chosen."""
        schema = dict(schema)
        conditionals = [_conditional(schema)] if "if" in schema else []
        reference = schema.pop("$ref", None)
        if isinstance(reference, str) and reference.startswith("#/"):
            target: Any = self._root
            for part in reference[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            schema = {**self._resolve(target), **schema}
        for part in schema.pop("allOf", None) or []:
            part = self._resolve(part)
            conditionals += part.pop(CONDITIONALS, [])
            schema = _merge(schema, part)
        for key in ("oneOf", "anyOf"):
            choices = schema.pop(key, None)
            if choices:
                schema = _merge(schema, self._resolve(self.rng.choice(choices)))
        conditionals += schema.pop(CONDITIONALS, [])
        if conditionals:
            schema[CONDITIONALS] = conditionals
        return schema

    def value(self, name: str, schema: dict) -> Any:
        schema = self._resolve(schema)
        rule = self.rules.get(name)
        if rule is not None:
            return rule(self, name, schema)
        return self.from_schema(name, schema)

    def from_schema(self, name: str, schema: dict) -> Any:
        """The value the schema alone gives (no rule): for a rule that decides only sometimes."""
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self.rng.choice(schema["enum"])
        kind = schema.get("type", "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        return getattr(self, f"_{kind}", self._string)(schema, name=name)

    def _object(self, schema: dict, overrides: Mapping[str, Any] | None = None, name: str = "") -> dict:
        properties = schema.get("properties", {})
        if {"city", "district"} <= set(properties):
            place = self.rng.choice(PLACES)
            overrides = {"city": place[0], "district": place[1], "street": place[2], **(overrides or {})}
        required = set(schema.get("required", ()))
        result: dict[str, Any] = {}
        # National IDs first, so that the names that go with them can follow.
        for key in sorted(properties, key=lambda k: (not k.endswith(NATIONAL_ID), list(properties).index(k))):
            if overrides and key in overrides:
                result[key] = overrides[key]
                continue
            if key not in required and self.rng.random() < 0.5:
                continue
            item = self.value(key, properties[key])
            if item is SKIP:
                continue
            result[key] = item
        self._apply_conditionals(schema, result)
        return {key: result[key] for key in properties if key in result}

    def _apply_conditionals(self, schema: dict, result: dict) -> None:
        """Fill what an ``if``/``then``/``else`` of the schema requires of the chosen fields
        (e.g. a judgment's details when the divorce is by judgment)."""
        properties = schema.get("properties", {})
        for condition, then, otherwise in schema.get(CONDITIONALS, []):
            branch = then if jsonschema.Draft202012Validator(condition).is_valid(result) else otherwise
            branch = self._resolve(branch or {})
            for key in branch.get("required", ()):
                if key not in result and key in properties:
                    result[key] = self.value(key, {**properties[key], **branch.get("properties", {}).get(key, {})})

    def _string(self, schema: dict, name: str = "") -> str:
        pattern, form = schema.get("pattern"), schema.get("format")
        if name.endswith(NATIONAL_ID) or (pattern and pattern == ID_PATTERN.pattern.replace(r"\d", "[0-9]")):
            return self.person(name[: -len(NATIONAL_ID)])[0]
        if form == "date":
            return self._date(name).isoformat()
        if form == "date-time":
            return f"{self.today.isoformat()}T10:00:00+08:00"
        if form == "email":
            return f"applicant{self.rng.randrange(10_000)}@example.com.tw"
        if name.endswith("name") and not pattern:
            prefix = "" if name == "applicant_name" else name[: -len("name")]
            text = self.person(prefix)[1] if prefix in self._people else self.name()
        elif name == "household_number" and pattern and re.fullmatch(pattern, "A0012345"):
            text = self.household_number()
        elif name == "number" and pattern and re.fullmatch(pattern, "1"):
            text = str(self.rng.randint(1, 300))
        elif pattern:
            text = self._xeger.xeger(pattern)
        elif name == "facility":
            text = self.rng.choice(FACILITIES)
        else:
            text = "模擬資料" if schema.get("maxLength", 40) >= 4 else "模"
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        if high is not None:
            text = text[:high]
        return text + "模" * max(0, low - len(text))

    def _date(self, name: str) -> date:
        if name == "birth_date" or name.endswith("_birth_date") and not name.startswith("child"):
            return date(self.rng.randint(1950, 2005), self.rng.randint(1, 12), self.rng.randint(1, 28))
        return self.today - timedelta(days=self.rng.randint(0, 20))

    def _integer(self, schema: dict, name: str = "") -> int:
        low = int(schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1 if "exclusiveMinimum" in schema else 0))
        high = int(schema.get("maximum", low + 100))
        return self.rng.randint(low, min(high, low + 20))

    def _number(self, schema: dict, name: str = "") -> float:
        return float(self._integer(schema, name))

    def _boolean(self, schema: dict, name: str = "") -> bool:
        # A check's outcome (``*_confirmed``, e.g. a clerk's manual check after an agency
        # failed) is positive nearly always; other yes/no questions mostly.
        return self.rng.random() < (CONFIRMED_SHARE if name.endswith("_confirmed") else 0.9)

    def _null(self, schema: dict, name: str = "") -> None:
        return None

    def _array(self, schema: dict, name: str = "") -> list:
        items = schema.get("items", {})
        if "enum" in items:
            return list(items["enum"])  # everything there is: a complete application
        count = max(int(schema.get("minItems", 0)), 1)
        return [self.value(name, items) for _ in range(count)]


CONDITIONALS = "x-conditionals"  # (if, then, else) schemas, see FormFiller._resolve


def _conditional(schema: dict) -> tuple[dict, dict | None, dict | None]:
    return schema.pop("if"), schema.pop("then", None), schema.pop("else", None)


def _merge(schema: dict, other: dict) -> dict:
    merged = {**schema, **{key: value for key, value in other.items() if key not in ("properties", "required")}}
    if "properties" in schema or "properties" in other:
        merged["properties"] = {**schema.get("properties", {}), **other.get("properties", {})}
    if "required" in schema or "required" in other:
        merged["required"] = [*schema.get("required", []), *other.get("required", [])]
    return merged
