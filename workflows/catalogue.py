"""The procedure catalogue: each procedure's published standard processing time.

Standard times live here, not in the diagrams: the engine puts the due date into the case data
as ``sla_due_at`` and a diagram's SLA timer reads it. While a case waits for the applicant's
documents its clock stops (§51): ``paused_amount`` says how much standard time a pause took
(in the procedure's unit) and ``due_at(..., extension=...)`` adds it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine import ProcedureCatalogue

from .calendar import WorkingCalendar
from .office_calendar import OfficeCalendar
from .online import ONLINE_APPLICATIONS, OnlineApplication

WORKING_DAYS = "working_days"
OFFICE_HOURS = "office_hours"
CALENDAR_DAYS = "calendar_days"  # days off count too; a period ending on one ends on the next working day


@dataclass(frozen=True)
class Procedure:
    key: str
    name_zh: str
    name_en: str
    standard_amount: float
    standard_unit: str  # WORKING_DAYS, OFFICE_HOURS or CALENDAR_DAYS


PROCEDURES = {
    procedure.key: procedure
    for procedure in [
        Procedure("household_transcript", "戶籍謄本申請", "Household transcript", 4, OFFICE_HOURS),
        # The residence check (居住查實) takes 3 to 6 working days: the published upper bound.
        # "Same visit when complete": half an office day, an office default (unverified).
        Procedure("birth_registration", "出生登記", "Birth registration", 4, OFFICE_HOURS),
        Procedure("death_registration", "死亡登記", "Death registration", 4, OFFICE_HOURS),
        Procedure("marriage_registration", "結婚登記", "Marriage registration", 4, OFFICE_HOURS),
        Procedure("divorce_registration", "離婚登記", "Divorce registration", 4, OFFICE_HOURS),
        Procedure("move_in_registration", "遷入登記", "Move-in registration", 6, WORKING_DAYS),
        # Same visit when the papers are complete, like the registrations above (office default).
        Procedure(
            "id_card", "國民身分證初領/補領/換領", "National ID card issue, replacement and renewal", 4, OFFICE_HOURS
        ),
        Procedure("seal_registration", "印鑑登記/印鑑證明", "Seal registration and certificate", 4, OFFICE_HOURS),
        # The criminal-record check is electronic: still the same visit (office default).
        Procedure("name_change", "改名", "Name change", 4, OFFICE_HOURS),
        # Receive, review, site survey, assign, certify.
        Procedure("house_number", "門牌編釘", "House number assignment", 3, WORKING_DAYS),
        # Complaints (陳情): answered within 30 days; one extension (agency SOPs) moves the due
        # date by the amount on the diagram's slaExtension element.
        Procedure("complaint", "陳情/申訴", "Complaint", 30, CALENDAR_DAYS),
    ]
}


class HouseholdCatalogue(ProcedureCatalogue):
    def __init__(
        self,
        calendar: WorkingCalendar | OfficeCalendar | None = None,
        procedures: dict[str, Procedure] | None = None,
        online: dict[str, OnlineApplication] | None = None,
    ) -> None:
        self.calendar = calendar or OfficeCalendar()
        self.procedures = procedures if procedures is not None else PROCEDURES
        self.online = online if online is not None else ONLINE_APPLICATIONS

    def online_application(self, procedure_key: str) -> dict | None:
        """How the procedure is taken online (workflows/online.py), or None."""
        application = self.online.get(procedure_key)
        return application.as_dict() if application and procedure_key in self.procedures else None

    def online_procedures(self) -> list[str]:
        return [key for key in self.online if key in self.procedures]

    def _calendar_at(self, moment: datetime) -> WorkingCalendar:
        return self.calendar.as_of(moment) if isinstance(self.calendar, OfficeCalendar) else self.calendar

    def standard_time(self, procedure_key: str) -> dict | None:
        procedure = self.procedures.get(procedure_key)
        if procedure is None:
            return None
        return {
            "amount": procedure.standard_amount,
            "unit": procedure.standard_unit,
            "name_zh": procedure.name_zh,
            "name_en": procedure.name_en,
        }

    def due_at(
        self, procedure_key: str, received_at: datetime, extension: float = 0.0, known_at: datetime | None = None
    ) -> datetime | None:
        """The due date of a case received at ``received_at`` whose clock was paused for
        ``extension`` (in the procedure's unit), by the calendar as known at ``known_at``."""
        procedure = self.procedures.get(procedure_key)
        if procedure is None:
            return None
        calendar = self._calendar_at(known_at or received_at)
        if procedure.standard_unit == OFFICE_HOURS:
            return calendar.office_hours_after(received_at, procedure.standard_amount + extension)
        if procedure.standard_unit == CALENDAR_DAYS:
            return calendar.calendar_days_after(received_at, int(procedure.standard_amount + extension))
        return calendar.working_days_after(received_at, int(procedure.standard_amount + extension))

    def paused_amount(self, procedure_key: str, paused_at: datetime, resumed_at: datetime) -> float:
        """How much of the standard time a pause took: working days (§48 counting: the day the
        pause began is not counted) or office hours, per the procedure's unit."""
        procedure = self.procedures.get(procedure_key)
        if procedure is None:
            return 0.0
        calendar = self._calendar_at(resumed_at)
        if procedure.standard_unit == OFFICE_HOURS:
            return round(calendar.office_hours_between(paused_at, resumed_at), 6)
        if procedure.standard_unit == CALENDAR_DAYS:
            return float(calendar.calendar_days_between(paused_at, resumed_at))
        return float(calendar.working_days_between(paused_at, resumed_at))
