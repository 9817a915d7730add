"""The household-registration domain pack: what the office's BPMN may call.

``register(functions, operators, calendar, agencies)`` plugs the pack into the engine's
registries (script functions, and the agency checks as asynchronous service operations); the
engine itself never imports this package. ``bootstrap.build_engine`` wires the pack into the
engine for every entrypoint.
"""

from __future__ import annotations

from engine import FormFormats, ScriptFunctions, ServiceOperators

from .agencies import AgencyConnectors
from .case_index import HouseholdCaseIndex
from .catalogue import HouseholdCatalogue
from .identifiers import mask_national_id, mask_national_ids_in_text, valid_national_id
from .notifications import HouseholdNotifications
from .office_calendar import OfficeCalendar
from .queue_services import queue_services
from .receipt import receipt_functions
from .time_functions import TIMER_FUNCTIONS, time_functions

BPMN_FOLDER = "bpmn"
# The groups of a household registration office: the lanes its procedures are drawn in. A deploy
# refuses a task in a lane no group works (ONESTOP_GROUPS replaces this list).
OFFICE_GROUPS = ("Clerk", "Supervisor", "Handling officer", "Surveyor")

__all__ = [
    "BPMN_FOLDER",
    "OFFICE_GROUPS",
    "AgencyConnectors",
    "HouseholdCaseIndex",
    "HouseholdCatalogue",
    "HouseholdNotifications",
    "OfficeCalendar",
    "build_registries",
    "form_formats",
    "mask_national_id",
    "mask_national_ids_in_text",
    "queue_services",
    "register",
    "valid_national_id",
]


def register(
    functions: ScriptFunctions,
    operators: ServiceOperators,
    calendar: OfficeCalendar | None = None,
    agencies: AgencyConnectors | None = None,
) -> None:
    functions.register("valid_national_id", valid_national_id)
    functions.register("mask_national_id", mask_national_id)
    calendar = calendar or OfficeCalendar()
    for name, function in time_functions(calendar).items():
        functions.register(name, function, for_timers=name in TIMER_FUNCTIONS)
    for name, function in receipt_functions(HouseholdCatalogue(calendar)).items():
        functions.register(name, function)
    (agencies or AgencyConnectors()).register(operators)


def form_formats() -> FormFormats:
    """Formats the office's forms may use: ``tw-national-id`` (national ID or resident
    certificate number, checksum included)."""
    formats = FormFormats()
    formats.register("tw-national-id", valid_national_id)
    return formats


def build_registries(
    calendar: OfficeCalendar | None = None, agencies: AgencyConnectors | None = None
) -> tuple[ScriptFunctions, ServiceOperators]:
    functions, operators = ScriptFunctions(), ServiceOperators()
    register(functions, operators, calendar, agencies)
    return functions, operators
