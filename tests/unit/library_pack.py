"""A tiny domain pack for the engine's unit tier: a library issuing reader cards. It plugs into
the same registries as the household-registration pack and shares nothing with it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from engine import (
    FormFormats,
    NotificationDraft,
    NotificationPolicy,
    ProcedureCatalogue,
    ScriptFunctions,
    ServiceAnswer,
    ServiceFailure,
    ServiceOperators,
)

BPMN = Path(__file__).parent / "bpmn" / "library_card"
PROMISED = timedelta(days=2)


def shelf_mark(reader: str) -> str:
    return f"LC-{reader.upper()}"


def luhn_valid(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) != len(number) or len(digits) < 2:
        return False
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits)))
    return total % 10 == 0


class MemberRegistry:
    """The asynchronous operator: answers from ``members``, or fails as ``failure`` says."""

    def __init__(self) -> None:
        self.members = {"r-17": "active"}
        self.failure: ServiceFailure | None = None
        self.calls: list[str] = []

    def __call__(self, call) -> ServiceAnswer:
        self.calls.append(call.params["reader"])
        if self.failure is not None:
            raise self.failure
        status = self.members.get(call.params["reader"], "unknown")
        return ServiceAnswer({"status": status}, evidence={"asked": "member registry"})


class LibraryCatalogue(ProcedureCatalogue):
    def standard_time(self, procedure_key, channel=None, variant=None):
        return {"amount": 2, "unit": "days"}

    def due_at(self, procedure_key, received_at, extension=0.0, known_at=None, channel=None, variant=None):
        return received_at + PROMISED + timedelta(days=extension)


class LibraryNotices(NotificationPolicy):
    def drafts(self, kind, case):
        if kind != "sla_breach":
            return []
        return [
            NotificationDraft(
                "supervisor",
                "email",
                "head@library.example",
                f"Card {case['number']} is late",
                f"Reader card {case['number']} was due {case['due_at']}.",
            )
        ]


def registries(registry: MemberRegistry, *, with_registry_operator: bool = True) -> dict:
    """The CaseEngine keyword arguments of the pack."""
    functions = ScriptFunctions()
    functions.register("shelf_mark", shelf_mark)
    operators = ServiceOperators()
    operators.register("catalog/lookup", lambda params: {"branch": "north", "code": params["code"]})
    if with_registry_operator:
        operators.register_asynchronous("registry/check_member", registry)
    formats = FormFormats()
    formats.register("luhn-number", luhn_valid)
    return {
        "script_functions": functions,
        "operators": operators,
        "catalogue": LibraryCatalogue(),
        "notifications": LibraryNotices(),
        "form_formats": formats,
    }
