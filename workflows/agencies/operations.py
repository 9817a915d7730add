"""The checks BPMN service tasks can ask of other agencies (``spiffworkflow:serviceTaskOperator``).

Each operation names its agency, the path of its endpoint, the only parameters it sends (the
minimum personal data the check needs: anything else the diagram passes stays in the office)
and the answer it expects (field -> accepted JSON types). An answer without those fields, or
with other types, is a malformed answer, not a result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..identifiers import valid_national_id


@dataclass(frozen=True)
class Operation:
    name: str
    agency: str
    path: str
    sends: tuple[str, ...]  # required parameters, the only ones sent
    answer: dict[str, tuple[type, ...]]
    description: str
    optional: tuple[str, ...] = ()  # sent when the diagram gives them
    checks: dict[str, Callable[[Any], bool]] | None = None  # parameter -> must be true before sending


_ID_CHECK = {"national_id": valid_national_id}
_TEXT, _BOOL, _TEXT_OR_NONE = (str,), (bool,), (str, type(None))

OPERATIONS = {
    operation.name: operation
    for operation in [
        Operation(
            "household_registration/identity_check",
            "household_registration",
            "/identity-checks",
            ("national_id", "name"),
            {"match": _BOOL, "record_status": _TEXT, "reference": _TEXT},
            "Does the household register hold this person, by ID number and name (and birth date)?",
            optional=("birth_date",),
            checks={**_ID_CHECK, "birth_date": lambda value: isinstance(value, str)},
        ),
        Operation(
            "land_registry/ownership_check",
            "land_registry",
            "/ownership-checks",
            ("national_id", "address"),
            {"owner": _BOOL, "reference": _TEXT},
            "Does this person own (a share of) the building at this address? Proof of residence.",
            checks=_ID_CHECK,
        ),
        Operation(
            "health_insurance/enrolment_check",
            "health_insurance",
            "/enrolment-checks",
            ("national_id",),
            {"enrolled": _BOOL, "status": _TEXT, "since": _TEXT_OR_NONE, "reference": _TEXT},
            "Is this person enrolled in the National Health Insurance?",
            checks=_ID_CHECK,
        ),
        Operation(
            "criminal_records/record_check",
            "criminal_records",
            "/record-checks",
            ("national_id", "purpose"),
            {"has_record": _BOOL, "reference": _TEXT},
            "Does this person have a criminal record? Only yes or no comes back.",
            checks=_ID_CHECK,
        ),
        Operation(
            "immigration/residence_status",
            "immigration",
            "/residence-checks",
            ("resident_number",),
            {"status": _TEXT, "valid_until": _TEXT_OR_NONE, "reference": _TEXT},
            "The status of a foreign resident's residence permit, by resident certificate number.",
            checks={"resident_number": valid_national_id},
        ),
    ]
}


def request_body(operation: Operation, params: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """(the body to send, None) or (None, why the request must not be sent)."""
    body = {name: params.get(name) for name in operation.sends}
    body.update({name: params[name] for name in operation.optional if params.get(name) is not None})
    missing = [name for name in operation.sends if body[name] in (None, "")]
    if missing:
        return None, f"the diagram gives no {', '.join(missing)}"
    for name, check in (operation.checks or {}).items():
        if name in body and not check(body[name]):
            return None, f"the {name.replace('_', ' ')} is not valid"  # never the value: it is personal data
    return body, None


def answer_problem(operation: Operation, answer: Any) -> str | None:
    """Why ``answer`` is not what the operation expects, or None."""
    if not isinstance(answer, dict):
        return "the answer is not a JSON object"
    for name, types in operation.answer.items():
        if name not in answer:
            return f"the answer has no '{name}'"
        if not isinstance(answer[name], types) or (bool not in types and isinstance(answer[name], bool)):
            return f"the answer's '{name}' is not of the expected type"
    return None
