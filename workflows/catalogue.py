"""The procedure catalogue: each procedure's published standard processing time, with its source.

Standard times live here, not in the diagrams: the engine puts the due date into the case data
as ``sla_due_at`` and a diagram's SLA timer reads it. While a case waits for the applicant's
documents its clock stops (§51): ``paused_amount`` says how much standard time a pause took
(in the standard's unit) and ``due_at(..., extension=...)`` adds it back.

A procedure has one standard for the counter and may have its own for another channel (an
online application is reviewed in the back office; a home visit is made within days) and for a
path of its diagram (a move-in that needs a residence check): an element marked
``slaStandard=<variant>`` switches the case to that standard, counted from receipt.

Units: ``minutes`` and ``office_hours`` count only while the office is open (a same-visit
service, 隨到隨辦, is measured at the counter's scale); ``working_days`` as §48 counts them
(the day of receipt not counted, ending at closing time); ``calendar_days`` count days off too,
and a period ending on a day off ends as §48(4) says (workflows/calendar.py).

Every standard names its source. Where no published figure was found the value is the office's
own default, marked as such: an office changes the line, not the code around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping

from engine import ProcedureCatalogue

from .calendar import WorkingCalendar
from .office_calendar import OfficeCalendar
from .online import ONLINE_APPLICATIONS, OnlineApplication

MINUTES = "minutes"  # office minutes
OFFICE_HOURS = "office_hours"
WORKING_DAYS = "working_days"
CALENDAR_DAYS = "calendar_days"  # days off count too; §48(4) says where a period ending on one ends
UNITS = (MINUTES, OFFICE_HOURS, WORKING_DAYS, CALENDAR_DAYS)

# Sources (docs/procedures.md lists them with what each says).
SAME_VISIT = (
    "隨到隨辦 when the papers are complete (published office practice, e.g. the Kinmen county e-service "
    "page for a first ID card: 證件齊全者，隨到隨辦); the minutes are this office's own default"
)
ID_CARD_RULE = (
    "國民身分證及戶口名簿格式內容製發相片影像檔建置管理辦法 §23: the card is issued on the day of the "
    "application; the minutes are this office's own default"
)
HOME_VISIT = "到府服務: a visit within 3 days of the request (Tainan City Anping household registration office)"
ONLINE_REVIEW = "office default (unverified): an online application is reviewed and served the next working day"
RESIDENCE_CHECK = (
    "居住查實 only where the registry or the documents do not establish the right to live there, and then "
    "within 3 days (published office practice, docs/procedures.md)"
)
HOUSE_NUMBER = "門牌編釘: 3 working days (receive, review, site survey, assign, certify; published office practice)"
COMPLAINT = "陳情: answered within 30 days, one extension with a written reason (agency SOPs)"


@dataclass(frozen=True)
class Standard:
    amount: float
    unit: str
    source: str

    def as_dict(self) -> dict:
        return {"amount": self.amount, "unit": self.unit, "source": self.source}


@dataclass(frozen=True)
class Procedure:
    key: str
    name_zh: str
    name_en: str
    standard_amount: float  # at the counter, and on any channel without a line of its own
    standard_unit: str  # one of UNITS
    source: str = "office default (unverified)"
    channels: Mapping[str, Standard] = field(default_factory=dict)  # channel -> its own standard
    variants: Mapping[str, Standard] = field(default_factory=dict)  # slaStandard name -> standard

    def standard(self, channel: str | None = None, variant: str | None = None) -> Standard | None:
        """The standard a case of this procedure is held to; None for a variant it does not have."""
        if variant is not None:
            return self.variants.get(variant)
        if channel is not None and channel in self.channels:
            return self.channels[channel]
        return Standard(self.standard_amount, self.standard_unit, self.source)


def _channels(online: Standard | None = None, home_visit: Standard | None = None) -> dict[str, Standard]:
    return {name: standard for name, standard in (("online", online), ("home_visit", home_visit)) if standard}


ONLINE_NEXT_DAY = Standard(1, WORKING_DAYS, ONLINE_REVIEW)
HOME_VISIT_3_DAYS = Standard(3, WORKING_DAYS, HOME_VISIT)
SAME_VISIT_CHANNELS = _channels(ONLINE_NEXT_DAY, HOME_VISIT_3_DAYS)

PROCEDURES = {
    procedure.key: procedure
    for procedure in [
        Procedure(
            "household_transcript",
            "戶籍謄本申請",
            "Household transcript",
            15,
            MINUTES,
            SAME_VISIT,
            SAME_VISIT_CHANNELS,
        ),
        Procedure("birth_registration", "出生登記", "Birth registration", 40, MINUTES, SAME_VISIT, SAME_VISIT_CHANNELS),
        Procedure("death_registration", "死亡登記", "Death registration", 40, MINUTES, SAME_VISIT, SAME_VISIT_CHANNELS),
        Procedure(
            "marriage_registration", "結婚登記", "Marriage registration", 40, MINUTES, SAME_VISIT, SAME_VISIT_CHANNELS
        ),
        Procedure(
            "divorce_registration", "離婚登記", "Divorce registration", 40, MINUTES, SAME_VISIT, SAME_VISIT_CHANNELS
        ),
        # An owner moving into their own home is registered in one visit; where the land registry
        # does not establish the right to live there, the residence check (居住查實) switches the
        # case to its standard (slaStandard="residence_check" in the diagram).
        Procedure(
            "move_in_registration",
            "遷入登記",
            "Move-in registration",
            40,
            MINUTES,
            SAME_VISIT,
            SAME_VISIT_CHANNELS,
            variants={"residence_check": Standard(3, WORKING_DAYS, RESIDENCE_CHECK)},
        ),
        Procedure(
            "id_card",
            "國民身分證初領/補領/換領",
            "National ID card issue, replacement and renewal",
            30,
            MINUTES,
            ID_CARD_RULE,
            _channels(home_visit=HOME_VISIT_3_DAYS),
        ),
        Procedure(
            "seal_registration",
            "印鑑登記/印鑑證明",
            "Seal registration and certificate",
            15,
            MINUTES,
            SAME_VISIT,
            _channels(home_visit=HOME_VISIT_3_DAYS),
        ),
        # The criminal-record check is electronic: still the same visit.
        Procedure("name_change", "改名", "Name change", 40, MINUTES, SAME_VISIT, SAME_VISIT_CHANNELS),
        Procedure("house_number", "門牌編釘", "House number assignment", 3, WORKING_DAYS, HOUSE_NUMBER),
        # One extension (agency SOPs) moves the due date by the amount on the diagram's
        # slaExtension element.
        Procedure("complaint", "陳情/申訴", "Complaint", 30, CALENDAR_DAYS, COMPLAINT),
    ]
}


# 跨區通辦: what any household registration office receives for the applicant's own office (the
# office of their registered district). A house number is assigned by the office of the building's
# district after its own survey, and a complaint is answered by the office it is about: those are
# received at the competent office only.
RECEIVED_ANYWHERE = frozenset(
    {
        "household_transcript",
        "birth_registration",
        "death_registration",
        "marriage_registration",
        "divorce_registration",
        "move_in_registration",
        "id_card",
        "seal_registration",
        "name_change",
    }
)


class HouseholdCatalogue(ProcedureCatalogue):
    def __init__(
        self,
        calendar: WorkingCalendar | OfficeCalendar | None = None,
        procedures: dict[str, Procedure] | None = None,
        online: dict[str, OnlineApplication] | None = None,
        received_anywhere: frozenset[str] = RECEIVED_ANYWHERE,
    ) -> None:
        self.calendar = calendar or OfficeCalendar()
        self.procedures = procedures if procedures is not None else PROCEDURES
        self.online = online if online is not None else ONLINE_APPLICATIONS
        self.anywhere = received_anywhere

    def received_anywhere(self, procedure_key: str) -> bool:
        return procedure_key in self.anywhere

    def online_application(self, procedure_key: str) -> dict | None:
        """How the procedure is taken online (workflows/online.py), or None."""
        application = self.online.get(procedure_key)
        return application.as_dict() if application and procedure_key in self.procedures else None

    def online_procedures(self) -> list[str]:
        return [key for key in self.online if key in self.procedures]

    def _calendar_at(self, moment: datetime, place: tuple | None = None) -> WorkingCalendar:
        """The working days as known at ``moment`` where the office is (``place``: its county/city,
        district): a closure of one place moves the due dates of its offices' cases only."""
        return self.calendar.as_of(moment, place) if isinstance(self.calendar, OfficeCalendar) else self.calendar

    def _standard(self, procedure_key: str, channel: str | None, variant: str | None) -> Standard | None:
        procedure = self.procedures.get(procedure_key)
        return procedure.standard(channel, variant) if procedure is not None else None

    def standard_time(self, procedure_key: str, channel: str | None = None, variant: str | None = None) -> dict | None:
        procedure = self.procedures.get(procedure_key)
        standard = self._standard(procedure_key, channel, variant)
        if standard is None:
            return None
        return {**standard.as_dict(), "name_zh": procedure.name_zh, "name_en": procedure.name_en}

    def variants(self, procedure_key: str) -> set[str]:
        procedure = self.procedures.get(procedure_key)
        return set(procedure.variants) if procedure is not None else set()

    def due_at(
        self,
        procedure_key: str,
        received_at: datetime,
        extension: float = 0.0,
        known_at: datetime | None = None,
        channel: str | None = None,
        variant: str | None = None,
        place: tuple | None = None,
    ) -> datetime | None:
        """The due date of a case received at ``received_at`` whose clock was paused for
        ``extension`` (in the standard's unit), by the calendar as known at ``known_at``."""
        standard = self._standard(procedure_key, channel, variant)
        if standard is None:
            return None
        calendar = self._calendar_at(known_at or received_at, place)
        amount = standard.amount + extension
        if standard.unit == MINUTES:
            return calendar.office_hours_after(received_at, amount / 60)
        if standard.unit == OFFICE_HOURS:
            return calendar.office_hours_after(received_at, amount)
        if standard.unit == CALENDAR_DAYS:
            return calendar.calendar_days_after(received_at, int(amount))
        return calendar.working_days_after(received_at, int(amount))

    def paused_amount(
        self,
        procedure_key: str,
        paused_at: datetime,
        resumed_at: datetime,
        channel: str | None = None,
        variant: str | None = None,
        place: tuple | None = None,
    ) -> float:
        """How much of the standard time a pause took: working days (§48 counting: the day the
        pause began is not counted), office hours or minutes, per the standard's unit."""
        standard = self._standard(procedure_key, channel, variant)
        if standard is None:
            return 0.0
        calendar = self._calendar_at(resumed_at, place)
        if standard.unit == MINUTES:
            return round(calendar.office_hours_between(paused_at, resumed_at) * 60, 4)
        if standard.unit == OFFICE_HOURS:
            return round(calendar.office_hours_between(paused_at, resumed_at), 6)
        if standard.unit == CALENDAR_DAYS:
            return float(calendar.calendar_days_between(paused_at, resumed_at))
        return float(calendar.working_days_between(paused_at, resumed_at))
