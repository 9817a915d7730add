"""The household-registration domain pack: what the office's BPMN may call.

``register(functions, operators)`` plugs the pack into the engine's registries; the engine
itself never imports this package.
"""
from __future__ import annotations

from engine.registries import ScriptFunctions, ServiceOperators

from .catalogue import HouseholdCatalogue
from .identifiers import mask_national_id, valid_national_id

BPMN_FOLDER = "bpmn"


def register(functions: ScriptFunctions, operators: ServiceOperators) -> None:
    functions.register("valid_national_id", valid_national_id)
    functions.register("mask_national_id", mask_national_id)


def build_registries() -> tuple[ScriptFunctions, ServiceOperators]:
    functions, operators = ScriptFunctions(), ServiceOperators()
    register(functions, operators)
    return functions, operators
