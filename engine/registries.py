"""Registries through which a domain pack (workflows/) plugs into the engine.

The engine never imports a domain pack; the pack registers what BPMN may use:
- script functions callable from scripts, conditions and timer expressions;
- service-task operators named by ``spiffworkflow:serviceTaskOperator``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


class ScriptFunctions:
    """Functions that BPMN scripts, conditions and timer expressions may call, by name."""

    def __init__(self) -> None:
        self._functions: dict[str, Callable[..., Any]] = {}

    def register(self, name: str, function: Callable[..., Any]) -> None:
        if not name.isidentifier() or name.startswith("_"):
            raise ValueError(f"script function name {name!r} must be a public Python identifier")
        self._functions[name] = function

    def as_dict(self) -> dict[str, Callable[..., Any]]:
        return dict(self._functions)

    def names(self) -> set[str]:
        return set(self._functions)


@dataclass(frozen=True)
class ServiceOperator:
    """A named operation a service task may call. ``call(params) -> JSON-able result``."""

    name: str
    call: Callable[[dict[str, Any]], Any]
    description: str = ""


@dataclass
class ServiceOperators:
    """Operators that BPMN service tasks name in ``spiffworkflow:serviceTaskOperator``."""

    _operators: dict[str, ServiceOperator] = field(default_factory=dict)

    def register(self, name: str, call: Callable[[dict[str, Any]], Any], description: str = "") -> None:
        self._operators[name] = ServiceOperator(name, call, description)

    def get(self, name: str) -> ServiceOperator | None:
        return self._operators.get(name)

    def names(self) -> set[str]:
        return set(self._operators)


class ProcedureCatalogue:
    """What a domain pack publishes about each procedure: standard processing time and due date.

    The default knows nothing; a domain pack subclasses it. ``standard_time`` returns e.g.
    ``{"amount": 3, "unit": "working_days"}`` and ``due_at`` the promised completion time.
    """

    def standard_time(self, procedure_key: str) -> dict[str, Any] | None:
        return None

    def due_at(self, procedure_key: str, received_at) -> Any:
        return None
