"""The SLA clock of a case: the due date moves when the case waits for the applicant (§51 pause
and resume) and when its diagram grants itself more standard time (slaExtension).

Each change is an event of its own, following the command that caused it, so replay applies it
like any other (see CommandHandlers._change_case).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from engine.events import SLA_EXTENDED, SLA_PAUSED, SLA_RESUMED, PendingEvent
from engine.registries import ProcedureCatalogue
from engine.storage.store import CaseRecord
from engine.workflow import runtime


class SlaClock:
    """Computes a case's due date from its procedure's standard time and its clock's history."""

    def __init__(self, catalogue: ProcedureCatalogue, zone: ZoneInfo) -> None:
        self._catalogue = catalogue
        self._zone = zone

    def local_iso(self, moment: datetime) -> str:
        return moment.astimezone(self._zone).isoformat()

    def due_at(self, case: CaseRecord, now: datetime) -> datetime | None:
        """The case's due date by the calendar as known at ``now``, with its pauses and extensions."""
        return self._catalogue.due_at(case.procedure_key, case.received_at, extension=self.extra(case), known_at=now)

    def extension(self, case: CaseRecord, workflow, now: datetime) -> PendingEvent | None:
        """Move the due date when the diagram granted the case more standard time: an element
        marked slaExtension finished (e.g. a complaint's extension, notified to the complainant)."""
        if case.due_at is None or workflow.is_completed():
            return None
        granted = runtime.new_sla_extensions(workflow)
        if not granted:
            return None
        amount = sum(part for _task_id, part in granted)
        case.sla_extended_amount = (case.sla_extended_amount or 0.0) + amount
        due = self.due_at(case, now) or case.due_at
        standard = self._catalogue.standard_time(case.procedure_key) or {}
        payload = {
            "extended": amount,
            "unit": standard.get("unit"),
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
        if case.due_at is None or workflow.is_completed():
            return None
        point = runtime.sla_pause_point(workflow)
        if point is not None and case.sla_paused_at is None:
            case.sla_paused_at = now
            return PendingEvent(SLA_PAUSED, "engine", {"due_at": self.local_iso(case.due_at)}, element_id=point)
        if point is None and case.sla_paused_at is not None:
            paused_at = case.sla_paused_at
            amount = self._catalogue.paused_amount(case.procedure_key, paused_at, now)
            case.sla_paused_amount = (case.sla_paused_amount or 0.0) + amount
            due = self.due_at(case, now) or case.due_at
            standard = self._catalogue.standard_time(case.procedure_key) or {}
            payload = {
                "paused_at": paused_at.isoformat(),
                "paused": amount,
                "unit": standard.get("unit"),
                "previous_due_at": self.local_iso(case.due_at),
                "due_at": self.local_iso(due),
            }
            case.due_at, case.sla_paused_at = due, None
            return PendingEvent(SLA_RESUMED, "engine", payload)
        return None
