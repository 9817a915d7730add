"""The SLA clock of a case: the due date moves when the case waits for the applicant (§51 pause
and resume) and when its diagram grants itself more standard time (slaExtension); the clock
stops for good where the service is delivered (an element marked serviceDelivered); and a case
whose clock ran past its due date is in breach, recorded once (``case_overdue``).

Each change of the clock is an event of its own, following the command that caused it, so
replay applies it like any other (see CaseChanges._change_case). The breach is an effect of
whichever command finds it: the scheduler wakes every running case at its due date, so the
command that finds it is at the latest the scheduler's, whatever moved the due date there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

from engine.events import (
    CASE_OVERDUE,
    SERVICE_DELIVERED,
    SLA_EXTENDED,
    SLA_PAUSED,
    SLA_RESUMED,
    SLA_STANDARD_CHANGED,
    PendingEvent,
)
from engine.registries import ProcedureCatalogue
from engine.storage.store import CaseRecord
from engine.workflow import runtime


class SlaClock:
    """Computes a case's due date from its procedure's standard time and its clock's history."""

    def __init__(
        self, catalogue: ProcedureCatalogue, zone: ZoneInfo, place_of: Callable[[str | None], tuple | None]
    ) -> None:
        self._catalogue = catalogue
        self._zone = zone
        self._place_of = place_of  # an office's place: its calendar

    def _where(self, case: CaseRecord) -> dict:
        """The catalogue's ``place`` of the case's office, when it has one."""
        place = self._place_of(case.office)
        return {"place": place} if place is not None else {}

    def local_iso(self, moment: datetime) -> str:
        return moment.astimezone(self._zone).isoformat()

    def due_at(self, case: CaseRecord, now: datetime) -> datetime | None:
        """The case's due date by the calendar as known at ``now``, with its pauses and extensions."""
        return self._catalogue.due_at(
            case.procedure_key,
            case.received_at,
            extension=self.extra(case),
            known_at=now,
            channel=case.channel,
            variant=case.sla_standard,
            **self._where(case),
        )

    def _unit(self, case: CaseRecord) -> str | None:
        standard = self._catalogue.standard_time(case.procedure_key, channel=case.channel, variant=case.sla_standard)
        return (standard or {}).get("unit")

    def _paused(self, case: CaseRecord, paused_at: datetime, resumed_at: datetime) -> float:
        return self._catalogue.paused_amount(
            case.procedure_key,
            paused_at,
            resumed_at,
            channel=case.channel,
            variant=case.sla_standard,
            **self._where(case),
        )

    def standard_change(
        self, case: CaseRecord, workflow, now: datetime, *, pauses: Callable[[], Iterable[tuple[datetime, datetime]]]
    ) -> PendingEvent | None:
        """Hold the case to another standard of its procedure when it finished an element marked
        slaStandard (e.g. a move-in that needs a residence check), counted from receipt. Earlier
        pauses (``pauses``: (paused at, resumed at) of each) are measured again in its unit."""
        if case.due_at is None or case.served_at is not None or workflow.is_completed():
            return None
        chosen = runtime.chosen_standard(workflow)
        if chosen is None or chosen[1] == case.sla_standard:
            return None
        element, variant = chosen
        if variant not in self._catalogue.variants(case.procedure_key):
            return None  # refused at deploy; a catalogue changed since keeps the case on its standard
        previous = case.due_at
        case.sla_standard = variant
        case.sla_paused_amount = sum(self._paused(case, start, end) for start, end in pauses())
        due = self.due_at(case, now) or previous
        payload = {
            "standard": variant,
            "amount": (self._catalogue.standard_time(case.procedure_key, variant=variant) or {}).get("amount"),
            "unit": self._unit(case),
            "previous_due_at": self.local_iso(previous),
            "due_at": self.local_iso(due),
            "paused": case.sla_paused_at is not None,
        }
        case.due_at = due
        return PendingEvent(SLA_STANDARD_CHANGED, "engine", payload, element_id=element)

    def extension(self, case: CaseRecord, workflow, now: datetime) -> PendingEvent | None:
        """Move the due date when the diagram granted the case more standard time: an element
        marked slaExtension finished (e.g. a complaint's extension, notified to the complainant)."""
        if case.due_at is None or case.served_at is not None or workflow.is_completed():
            return None
        granted = runtime.new_sla_extensions(workflow)
        if not granted:
            return None
        amount = sum(part for _task_id, part in granted)
        case.sla_extended_amount = (case.sla_extended_amount or 0.0) + amount
        due = self.due_at(case, now) or case.due_at
        payload = {
            "extended": amount,
            "unit": self._unit(case),
            "previous_due_at": self.local_iso(case.due_at),
            "due_at": self.local_iso(due),
            "paused": case.sla_paused_at is not None,
            "task_ids": [task_id for task_id, _part in granted],
        }
        case.due_at = due
        return PendingEvent(SLA_EXTENDED, "engine", payload)

    @staticmethod
    def extra(case: CaseRecord) -> float:
        """Standard time added to the case's period: pauses (§51) and the diagram's extensions."""
        return (case.sla_paused_amount or 0.0) + (case.sla_extended_amount or 0.0)

    def pause_or_resume(self, case: CaseRecord, workflow, now: datetime) -> PendingEvent | None:
        """Pause the SLA clock when the case starts waiting at an slaPause element (§51: waiting
        for the applicant's documents) and resume it, with the due date moved by the paused
        time, when it no longer waits there."""
        if case.due_at is None or case.served_at is not None or workflow.is_completed():
            return None
        point = runtime.sla_pause_point(workflow)
        if point is not None and case.sla_paused_at is None:
            case.sla_paused_at = now
            return PendingEvent(SLA_PAUSED, "engine", {"due_at": self.local_iso(case.due_at)}, element_id=point)
        if point is None and case.sla_paused_at is not None:
            return self._resume(case, now)
        return None

    def _resume(self, case: CaseRecord, now: datetime) -> PendingEvent:
        paused_at = case.sla_paused_at
        amount = self._paused(case, paused_at, now)
        case.sla_paused_amount = (case.sla_paused_amount or 0.0) + amount
        due = self.due_at(case, now) or case.due_at
        payload = {
            "paused_at": paused_at.isoformat(),
            "paused": amount,
            "unit": self._unit(case),
            "previous_due_at": self.local_iso(case.due_at),
            "due_at": self.local_iso(due),
        }
        case.due_at, case.sla_paused_at = due, None
        return PendingEvent(SLA_RESUMED, "engine", payload)

    def delivery(self, case: CaseRecord, workflow, now: datetime) -> PendingEvent | None:
        """Stop the clock for good when the case has finished an element marked serviceDelivered."""
        if case.served_at is not None:
            return None
        element = runtime.delivered_service_point(workflow)
        if element is None:
            return None
        case.served_at = now
        payload = {
            "served_at": self.local_iso(now),
            "due_at": self.local_iso(case.due_at) if case.due_at else None,
            # A breach already found and told stands, even where the due date moved later since.
            "on_time": None if case.due_at is None else case.overdue_at is None and now <= case.due_at,
        }
        return PendingEvent(SERVICE_DELIVERED, "engine", payload, element_id=element)

    @staticmethod
    def stopped_at(case: CaseRecord, now: datetime) -> datetime:
        """Where the clock stands: stopped at the service, or at the start of a pause, or running."""
        return case.served_at or case.sla_paused_at or now

    def breach(self, case: CaseRecord, now: datetime) -> PendingEvent | None:
        """Record the breach, once, when the clock ran past the due date: the service came late,
        or has not come by now (whichever command finds it: the scheduler's at the due date, or
        one that moved the due date into the past or opened a step after it)."""
        if case.due_at is None or case.overdue_at is not None:
            return None
        stopped = self.stopped_at(case, now)
        if stopped <= case.due_at:
            return None
        case.overdue_at = case.due_at
        payload = {
            "overdue_at": case.overdue_at.isoformat(),
            "due_at": self.local_iso(case.due_at),
            "found_at": self.local_iso(now),
            "served_at": self.local_iso(case.served_at) if case.served_at else None,
        }
        return PendingEvent(CASE_OVERDUE, "engine", payload)

    @staticmethod
    def wake_at(case: CaseRecord) -> datetime | None:
        """When the scheduler must look at the case for a breach: its due date, while the clock runs."""
        if case.status != "running" or case.due_at is None or case.overdue_at is not None:
            return None
        if case.served_at is not None or case.sla_paused_at is not None:
            return None
        return case.due_at
