"""The procedure catalogue: each procedure's published standard processing time.

Standard times live here, not in the diagrams: the engine puts the due date into the case data
as ``sla_due_at`` and a diagram's SLA timer reads it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.registries import ProcedureCatalogue

from .calendar import WorkingCalendar

WORKING_DAYS = "working_days"
OFFICE_HOURS = "office_hours"


@dataclass(frozen=True)
class Procedure:
    key: str
    name_zh: str
    name_en: str
    standard_amount: float
    standard_unit: str  # WORKING_DAYS or OFFICE_HOURS


PROCEDURES = {
    procedure.key: procedure
    for procedure in [
        Procedure("household_transcript", "戶籍謄本申請", "Household transcript", 4, OFFICE_HOURS),
    ]
}


class HouseholdCatalogue(ProcedureCatalogue):
    def __init__(self, calendar: WorkingCalendar | None = None) -> None:
        self.calendar = calendar or WorkingCalendar()

    def standard_time(self, procedure_key: str) -> dict | None:
        procedure = PROCEDURES.get(procedure_key)
        if procedure is None:
            return None
        return {"amount": procedure.standard_amount, "unit": procedure.standard_unit,
                "name_zh": procedure.name_zh, "name_en": procedure.name_en}

    def due_at(self, procedure_key: str, received_at: datetime) -> datetime | None:
        procedure = PROCEDURES.get(procedure_key)
        if procedure is None:
            return None
        if procedure.standard_unit == OFFICE_HOURS:
            return self.calendar.office_hours_after(received_at, procedure.standard_amount)
        return self.calendar.working_days_after(received_at, int(procedure.standard_amount))
