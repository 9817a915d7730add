"""Offices of a case: where it is received, which office works it, and its transfer (跨區通辦).

A case is received at one office and worked by one office, the same unless it was transferred: a
case received at office A whose competent office is B goes to B as it starts (if its procedure
may be received anywhere, as the pack's catalogue says), or later by a ``TransferCase``. The
transfer is an event of the case (``case_transferred``; it changes no workflow, so replay passes
over it and the hash chain covers it); the open tasks become B's, B's clerks take them (the
officer is B's first clerk to work it); the SLA clock keeps running from receipt, by the calendar
of B's place. The receiving office keeps reaching it (``cases.received_office``: its staff reach
it under the usual rules, e.g. a lane of theirs with work in the case).
"""

from __future__ import annotations

from sqlalchemy import Connection

from engine import commands as cmd
from engine.cases.case_work import MAX_REASON_LENGTH, CaseWorkCommands, _text
from engine.errors import Conflict, InvalidInput, NotAllowed
from engine.events import CASE_TRANSFERRED, PendingEvent
from engine.results import CaseChanged
from engine.storage import offices, store
from engine.storage.store import CaseRecord


class TransferCommands(CaseWorkCommands):
    def offices_of_start(self, conn: Connection, command: cmd.StartCase, procedure: str) -> tuple[str, str]:
        """(receiving office, working office) of a case ``command`` starts, checked."""
        receiving = offices.active_office(conn, command.office, "office")
        if command.offices is not None and receiving not in command.offices:
            raise NotAllowed(f"You do not work for office {receiving}", office=receiving)
        if not command.competent_office or command.competent_office == receiving:
            return receiving, receiving
        competent = offices.active_office(conn, command.competent_office, "competent_office")
        if not self._catalogue.received_anywhere(procedure):
            message = f"{procedure} is received only at the competent office ({competent})"
            raise InvalidInput(message, errors=[{"field": "competent_office", "message": message}])
        return receiving, competent

    @staticmethod
    def transferred_at_start(receiving: str, working: str, actor: str | None) -> list[PendingEvent]:
        if receiving == working:
            return []
        payload = {"from_office": receiving, "to_office": working, "reason": "received for the competent office"}
        return [PendingEvent(CASE_TRANSFERRED, actor, {**payload, "previous_officer": None})]

    def due_at_office(self, procedure: str, received_at, office: str, **kwargs):
        """The due date by the calendar of the office's place."""
        place = self._offices.place(office)
        if place is not None:
            kwargs["place"] = place
        return self._catalogue.due_at(procedure, received_at, **kwargs)

    def transfer_case(self, command: cmd.TransferCase) -> CaseChanged:
        reason = _text(command.reason, "reason", MAX_REASON_LENGTH)
        with self._transaction() as conn:
            store.ensure_reachable(conn, command.case_id, command.access)
            case = self._load_running_case(conn, command.case_id)
            office = offices.active_office(conn, command.office, "office")
            if office == case.office:
                raise Conflict(f"Case {case.number} is already at office {office}", case_id=case.id)
            changed = self._transfer(conn, case, office, reason, command.actor)
        # The due date by the new office's calendar, as a command of its own (replayed as such).
        self.reschedule_case(cmd.RescheduleCase(case.id, f"transferred to office {office}", actor=command.actor))
        return changed

    def _transfer(self, conn: Connection, case: CaseRecord, office: str, reason: str, actor) -> CaseChanged:
        event = PendingEvent(
            CASE_TRANSFERRED,
            actor,
            {"from_office": case.office, "to_office": office, "reason": reason, "previous_officer": case.officer},
        )
        case.office, case.officer = office, None
        changed = self._record_only(conn, case, [event])
        store.move_open_tasks(conn, case.id, office)
        return changed
