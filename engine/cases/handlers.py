"""Command handlers: each command is one transaction that writes the case's new state, its
events and its projections together, or nothing at all.

Every case command has the same shape (``_change_case``, in ``engine.cases.changes``): lock and
load the case, apply one change to its workflow under a fixed clock and task-id sequence, then
persist state, events and inbox rows through ``engine.storage.store``. The version check in ``store.save_case`` guarantees that
two commands racing on one case cannot both commit. On SQLite the frequent commands (complete a
task, deliver a message, cancel, fire timers) read and compute before they take the database's
write lock, and run again if the case changed meanwhile (``engine.cases.transactions``).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timezone
from functools import partial
from typing import Callable

from sqlalchemy import Connection

from engine import commands as cmd
from engine.cases import inputs, notices
from engine.cases.automatic import AutomaticCommands
from engine.cases.documents import DocumentCommands
from engine.cases.inputs import ensure_json, ensure_object, new_access_code, validate_form, validate_start_form
from engine.cases.move_commands import MoveCommands
from engine.cases.transfers import TransferCommands
from engine.clock import ManualClock, TaskIdSequence, execution_context
from engine.errors import Conflict, InvalidInput
from engine.events import (
    CASE_STARTED,
    DUE_DATE_CHANGED,
    MESSAGE_DELIVERED,
    RATING_MESSAGE,
    RATING_RECORDED,
    TASK_CLAIMED,
    TASK_COMPLETED,
    TASK_UNCLAIMED,
    PendingEvent,
)
from engine.results import CaseChanged, StartedCase
from engine.storage import store
from engine.storage.eventlog import GENESIS_HASH
from engine.storage.store import CaseRecord, TaskRecord
from engine.workflow import runtime
from engine.workflow.gateways import LiveServiceGateway

MAX_COMMENT_LENGTH = 2000

# What the engine adds to the data of every case it starts.
ENGINE_DATA_KEYS = ("case_number", "channel", "sla_due_at")


class CommandHandlers(AutomaticCommands, MoveCommands, DocumentCommands, TransferCommands):
    # ------------------------------------------------------------------ definitions
    def deploy(self, command: cmd.DeployDefinition):
        with self._sessions.begin() as session:
            result, bundle = self._deployments.deploy(session, command, now=self._clock.now())
        if result.created:
            self._deployments.remember(result.definition, bundle)
        return result

    # ------------------------------------------------------------------ starting a case
    def start_case(self, command: cmd.StartCase) -> StartedCase:
        data = ensure_object(command.data, "data", self._data_limits)
        if command.channel not in self._channels:
            raise InvalidInput(
                f"Unknown channel '{command.channel}'",
                errors=[{"field": "channel", "message": f"must be one of {', '.join(self._channels)}"}],
            )
        applicant = ensure_json(command.applicant, "applicant", self._data_limits)
        return self._with_uploads(command.documents, partial(self._start_once, command, data, applicant))

    def _start_once(self, command: cmd.StartCase, data: dict, applicant, stored) -> StartedCase:
        try:
            with self._transaction() as conn:
                earlier = self._earlier_start(conn, command, data, applicant)
                return earlier or self._start_case(conn, command, data, applicant, stored)
        except Conflict:
            # A concurrent request with the same idempotency key committed first: answer with it.
            with self._transaction() as conn:
                earlier = self._earlier_start(conn, command, data, applicant)
            if earlier is None:
                raise
            return earlier

    def _earlier_start(self, conn: Connection, command: cmd.StartCase, data: dict, applicant) -> StartedCase | None:
        """The case an earlier request with the command's idempotency key started, if any. A key
        used again for a different request is refused: answering with the earlier case would let
        the caller believe the new data was received."""
        key = inputs.sender_key(command)
        case = store.find_case_by_idempotency_key(conn, key) if key else None
        if case is None:
            return None
        definition = self._deployments.get(conn, case.definition_id)
        recorded = store.first_event_payload(conn, case.id)
        recorded_data = recorded.get("data") or {}
        same_request = (
            (command.procedure, command.channel) == (case.procedure_key, case.channel)
            and applicant == recorded.get("applicant")
            # The recorded data holds the keys the engine added; add the same to the new data.
            and {**data, **{name: recorded_data.get(name) for name in ENGINE_DATA_KEYS}} == recorded_data
            and sorted(hashlib.sha256(upload.content).hexdigest() for upload in command.documents)
            == store.document_hashes(conn, case.id)
        )
        if not same_request:
            raise InvalidInput(
                f"The Idempotency-Key was already used for a different request (case {case.number})",
                errors=[
                    {
                        "field": "Idempotency-Key",
                        "message": "was used for a different request; send a new key to start a new case",
                    }
                ],
                case_number=case.number,
            )
        return StartedCase(
            case.id,
            case.number,
            case.access_code,
            case.definition_id,
            definition.version,
            case.received_at,
            self._open_task_summaries(store.open_tasks(conn, case.id)),
            existing=True,
            procedure_key=case.procedure_key,
            procedure_name=definition.spec.description,
            channel=case.channel,
            due_at=case.due_at,
            received={"data": recorded.get("data"), "applicant": recorded.get("applicant")},
        )

    def _start_case(self, conn: Connection, command: cmd.StartCase, data: dict, applicant, stored) -> StartedCase:
        definition_id = store.latest_definition_id(conn, command.procedure)
        if definition_id is None:
            message = store.not_startable_message(conn, command.procedure)
            raise InvalidInput(message, errors=[{"field": "procedure", "message": message}])
        definition = self._deployments.get(conn, definition_id)
        validate_start_form(definition, command.form, data, self._form_formats)
        received_office, office = self.offices_of_start(conn, command, definition.process_key)
        now = self._clock.now()
        case_id = str(uuid.uuid4())
        year = now.astimezone(self._zone).year
        number = self._number_format(year, store.next_case_number(conn, received_office, year), received_office)
        due_at = self.due_at_office(definition.process_key, now, office, channel=command.channel)
        # The keys the engine adds to every case's data (ENGINE_DATA_KEYS); a diagram's SLA timer
        # may use sla_due_at.
        data = {
            **data,
            "case_number": number,
            "channel": command.channel,
            "sla_due_at": due_at.isoformat() if due_at else None,
        }

        task_ids = TaskIdSequence(case_id)
        gateway = LiveServiceGateway(self._operators)
        with execution_context(ManualClock(now), task_ids):
            workflow = runtime.start_workflow(
                definition.spec, definition.subprocess_specs, data, self._script_engine_factory(gateway)
            )
        case = CaseRecord(
            id=case_id,
            number=number,
            procedure_key=definition.process_key,
            definition_id=definition.id,
            status="running",
            channel=command.channel,
            applicant=applicant,
            access_code=new_access_code(),
            idempotency_key=inputs.sender_key(command),
            state="",
            state_hash="",
            version=0,
            task_id_counter=0,
            last_event_seq=0,
            last_event_hash=GENESIS_HASH,
            received_at=now,
            updated_at=now,
            due_at=due_at,
            office=office,
            received_office=received_office,
            received_by=command.actor,
        )
        # The clerk receiving the case is its officer, unless it goes to another office at once.
        transferred = self.transferred_at_start(received_office, office, command.actor)
        officer = [] if transferred else self.officer_taken(case, command.officer, conn)
        started = PendingEvent(
            CASE_STARTED,
            command.actor,
            {
                "definition_id": definition.id,
                "procedure": definition.process_key,
                "version": definition.version,
                "data": data,
                "channel": command.channel,
                "applicant": applicant,
                "office": received_office,
            },
        )
        attached = self._document_events(stored, command.actor, "application")
        events = [started, *gateway.recorded, *attached, *transferred, *officer]
        opened, wake_at = self._persist(conn, case, workflow, task_ids, now, events)
        self._insert_documents(conn, case_id, stored, command.actor, "application", now)
        # The receipt, for channels where it cannot be handed over (the policy decides which).
        receipt = {"access_code": case.access_code, "channel": command.channel, "data": data}
        notices.queue(conn, case, "case_received", now, self._notifications, self._catalogue, data=receipt)
        return StartedCase(
            case_id,
            number,
            case.access_code,
            definition.id,
            definition.version,
            now,
            opened,
            wake_at=wake_at,
            procedure_key=definition.process_key,
            procedure_name=definition.spec.description,
            channel=command.channel,
            due_at=due_at.astimezone(timezone.utc) if due_at else None,  # as stored
            received={"data": started.payload["data"], "applicant": applicant},
        )

    # ------------------------------------------------------------------ tasks
    def claim_task(self, command: cmd.ClaimTask) -> CaseChanged:
        def claim(task: TaskRecord) -> PendingEvent:
            if task.status == "claimed" and task.assignee != command.actor:
                raise Conflict(f"Task is already claimed by {task.assignee}", task_id=task.id, assignee=task.assignee)
            task.status, task.assignee = "claimed", command.actor
            return PendingEvent(TASK_CLAIMED, command.actor, {"task_id": task.id}, element_id=task.element_id)

        return self._change_assignment(command.task_id, command.lanes, claim, command.actor, command.offices)

    def unclaim_task(self, command: cmd.UnclaimTask) -> CaseChanged:
        def unclaim(task: TaskRecord) -> PendingEvent:
            if task.status != "claimed":
                raise Conflict("Task is not claimed", task_id=task.id)
            if task.assignee != command.actor and not command.force:
                raise Conflict(
                    f"Task is claimed by {task.assignee}, not by you", task_id=task.id, assignee=task.assignee
                )
            previous = task.assignee
            task.status, task.assignee = "ready", None
            return PendingEvent(
                TASK_UNCLAIMED,
                command.actor,
                {"task_id": task.id, "previous_assignee": previous},
                element_id=task.element_id,
            )

        return self._change_assignment(command.task_id, command.lanes, unclaim, command.actor, command.offices)

    def _change_assignment(
        self,
        task_id: str,
        lanes: frozenset[str] | None,
        change: Callable[[TaskRecord], PendingEvent],
        actor: str,
        offices: frozenset[str] | None = None,
    ) -> CaseChanged:
        """Claims change the inbox only; they are still events of the case, chained like the rest."""
        with self._transaction() as conn:
            task, case = self._open_task(conn, task_id, lanes, actor, offices)
            self._ensure_running(case)
            changed = self._record_only(conn, case, [change(task), *self.officer_taken(case, task.assignee, conn)])
            store.assign_task(conn, task.id, task.status, task.assignee)
            return changed

    def complete_task(self, command: cmd.CompleteTask) -> CaseChanged:
        data = ensure_object(command.data, "data", self._data_limits)
        return self._transaction.retry_stale_reads(partial(self._complete_task, command, data))

    def _complete_task(self, command: cmd.CompleteTask, data: dict) -> CaseChanged:
        with self._transaction(write_late=True) as conn:
            task, case = self._open_task(conn, command.task_id, command.lanes, command.actor, command.offices)
            if task.status == "claimed" and task.assignee != command.actor:
                raise Conflict(f"Task is claimed by {task.assignee}", task_id=task.id, assignee=task.assignee)
            self._ensure_running(case)
            definition = self._deployments.get(conn, case.definition_id)
            validate_form(definition, task.form_key, data, self._form_formats)
            event = PendingEvent(
                TASK_COMPLETED, command.actor, {"task_id": task.id, "data": data}, element_id=task.element_id
            )
            asked = []  # the notice the task's element asks to send on completion: (kind, data) or None
            changed = self._change_case(
                conn,
                case,
                definition,
                event,
                completed_task=(task.id, command.actor),
                extra_events=self.officer_taken(case, command.actor, conn),
                after_change=lambda workflow: asked.append(notices.completion_notice(workflow, task.id)),
            )
            for kind, task_data in filter(None, asked):
                notices.queue(
                    conn,
                    case,
                    kind,
                    case.updated_at,
                    self._notifications,
                    self._catalogue,
                    occasion=task.id,
                    data=task_data,
                )
            return changed

    # ------------------------------------------------------------------ other case commands
    def deliver_message(self, command: cmd.DeliverMessage) -> CaseChanged:
        payload = ensure_json(command.payload, "payload", self._data_limits)
        event = PendingEvent(MESSAGE_DELIVERED, command.actor, {"name": command.name, "payload": payload})
        return self._simple_case_change(command.case_id, event, command.access)

    def cancel_incident(self, command: cmd.CancelIncident) -> CaseChanged:
        """Cancel the case an incident holds; closing the case resolves its open incidents."""
        incident = self.open_incident(command.incident_id)
        return self.cancel_case(cmd.CancelCase(incident.case_id, command.reason, command.actor))

    def reschedule_case(self, command: cmd.RescheduleCase) -> CaseChanged | None:
        """Move the due date after a calendar change; the SLA timers and ``sla_due_at`` follow."""
        reason = (command.reason or "").strip()
        if not reason:
            raise InvalidInput("A reason is required", errors=[{"field": "reason", "message": "must not be empty"}])
        with self._transaction() as conn:
            case = self._load_running_case(conn, command.case_id)
            now = self._clock.now()
            if case.served_at is not None:
                return None  # the service was delivered: its clock stopped for good
            due = self._sla.due_at(case, now)
            if due is None or due == case.due_at:
                return None
            definition = self._deployments.get(conn, case.definition_id)
            event = PendingEvent(
                DUE_DATE_CHANGED,
                command.actor,
                {
                    "due_at": self._sla.local_iso(due),
                    "previous_due_at": self._sla.local_iso(case.due_at) if case.due_at else None,
                    "reason": reason[:500],
                    "paused": case.sla_paused_at is not None,
                },
            )
            passed = self._sla.breach(case, now)  # the clock passed the old due date before the change
            case.due_at = due
            return self._change_case(conn, case, definition, event, extra_events=[passed] if passed else [])

    def record_rating(self, command: cmd.RecordRating) -> CaseChanged:
        """Store the rating and record it on the case: handed to the BPMN waiting for it, or on a
        case already completed. A case still being processed cannot be rated yet."""
        score, comment = command.score, (command.comment or "").strip() or None
        if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
            raise InvalidInput(
                "The score must be a whole number from 1 to 5",
                errors=[{"field": "score", "message": "must be an integer from 1 to 5"}],
            )
        if comment and len(comment) > MAX_COMMENT_LENGTH:
            raise InvalidInput(
                "The comment is too long",
                errors=[{"field": "comment", "message": f"at most {MAX_COMMENT_LENGTH} characters"}],
            )
        with self._transaction() as conn:
            case = store.load_case(conn, command.case_id)
            if case.status == "cancelled":
                raise Conflict(f"Case {case.number} was cancelled and cannot be rated", case_id=case.id)
            now = self._clock.now()
            store.insert_rating(conn, case, score, comment, now)
            rated = PendingEvent(RATING_RECORDED, command.actor, {"score": score, "comment": comment})
            if case.status == "running":
                definition = self._deployments.get(conn, case.definition_id)
                delivered = PendingEvent(
                    MESSAGE_DELIVERED,
                    command.actor,
                    {"name": RATING_MESSAGE, "payload": {"score": score, "comment": comment}},
                )
                try:
                    return self._change_case(conn, case, definition, delivered, extra_events=[rated])
                except Conflict as error:
                    if error.details.get("message_name") != RATING_MESSAGE:
                        raise  # lost a race with another command
                    # The service is not done yet: a rating now would be stored, and the rating
                    # step reached later could only refuse the applicant's real rating.
                    raise Conflict(
                        f"Case {case.number} is still being processed; it can be rated once it is done", case_id=case.id
                    ) from error
            read_version = case.version
            rows = self._chain(case, [rated], now)
            case.updated_at = now
            store.save_case(conn, case, read_version)
            store.append_events(conn, rows)
            return CaseChanged(case.id, case.status, case.last_event_seq)
