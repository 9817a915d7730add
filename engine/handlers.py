"""Command handlers: each command is one transaction that writes the case's new state, its
events and its projections together, or nothing at all.

Every case command has the same shape (``_change_case``): lock and load the case, apply one
change to its workflow under a fixed clock and task-id sequence, then persist state, events and
inbox rows through ``engine.store``. The version check in ``store.save_case`` guarantees that
two commands racing on one case cannot both commit.
"""
from __future__ import annotations

import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

import jsonschema
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import sessionmaker

from . import commands as cmd
from . import jobs, runtime, serialization, store
from .clock import Clock, ManualClock, TaskIdSequence, execution_context
from .definitions import DefinitionCatalog, ParsedDefinition
from .errors import Conflict, InvalidInput
from .eventlog import GENESIS_HASH, PendingEvent, chain_events
from .gateways import LiveServiceGateway
from .registries import FormFormats, NotificationPolicy, ProcedureCatalogue, ServiceOperators
from .service_tasks import WaitingServiceTask, waiting_service_tasks
from .store import CaseRecord, TaskRecord

# The message a rating is delivered as, to cases whose BPMN waits for one.
RATING_MESSAGE = "rating_received"
MAX_COMMENT_LENGTH = 2000

ACCESS_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
ACCESS_CODE_LENGTH = 8


@dataclass(frozen=True)
class OpenTask:
    id: str
    element_id: str
    name: str | None
    lane: str | None


@dataclass(frozen=True)
class StartedCase:
    case_id: str
    number: str
    access_code: str
    definition_id: int
    version: int
    received_at: datetime
    open_tasks: tuple[OpenTask, ...] = ()
    existing: bool = False  # True when an idempotency key matched an earlier start


@dataclass(frozen=True)
class CaseChanged:
    case_id: str
    status: str
    last_event_seq: int
    open_tasks: tuple[OpenTask, ...] = ()


def access_code_matches(case, code: str) -> bool:
    return hmac.compare_digest(case.access_code.encode(), (code or "").encode())


def _ensure_json(value: Any, field: str) -> Any:
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"'{field}' must be plain JSON", errors=[{"field": field, "message": str(error)}])


def _ensure_object(value: Any, field: str) -> dict:
    value = _ensure_json(value or {}, field)
    if not isinstance(value, dict):
        raise InvalidInput(f"'{field}' must be an object", errors=[{"field": field, "message": "must be an object"}])
    return value


class CommandHandlers:
    def __init__(
        self,
        db: Engine,
        sessions: sessionmaker,
        catalog: DefinitionCatalog,
        clock: Clock,
        script_engine_factory: Callable[[Any], Any],
        operators: ServiceOperators,
        catalogue: ProcedureCatalogue,
        *,
        notifications: NotificationPolicy | None = None,
        channels: tuple[str, ...],
        local_timezone: ZoneInfo,
        case_number_format: Callable[[int, int], str],
        form_formats: FormFormats | None = None,
    ) -> None:
        self._db = db
        self._sessions = sessions
        self._catalog = catalog
        self._clock = clock
        self._script_engine_factory = script_engine_factory
        self._operators = operators
        self._catalogue = catalogue
        self._notifications = notifications or NotificationPolicy()
        self._channels = channels
        self._zone = local_timezone
        self._number_format = case_number_format
        self._form_formats = form_formats or FormFormats()
        # Test hook: called inside the transaction after the new state is computed and before it,
        # its events and projections are written; a test raises here to prove that a failed
        # command leaves no trace.
        self.before_events_written: Callable[[CaseRecord], None] | None = None

    # ------------------------------------------------------------------ definitions
    def deploy(self, command: cmd.DeployDefinition):
        with self._sessions.begin() as session:
            result, bundle = self._catalog.deploy(
                session, command.files, deployed_by=command.actor, now=self._clock.now(),
                process_key=command.process_key,
            )
        if result.created:
            self._catalog.remember(result.definition, bundle)
        return result

    # ------------------------------------------------------------------ starting a case
    def start_case(self, command: cmd.StartCase) -> StartedCase:
        data = _ensure_object(command.data, "data")
        if command.channel not in self._channels:
            raise InvalidInput(
                f"Unknown channel '{command.channel}'",
                errors=[{"field": "channel", "message": f"must be one of {', '.join(self._channels)}"}],
            )
        applicant = _ensure_json(command.applicant, "applicant")
        try:
            with self._db.begin() as conn:
                earlier = self._earlier_start(conn, command.idempotency_key)
                return earlier or self._start_case(conn, command, data, applicant)
        except Conflict:
            # A concurrent request with the same idempotency key committed first: answer with it.
            with self._db.begin() as conn:
                earlier = self._earlier_start(conn, command.idempotency_key)
            if earlier is None:
                raise
            return earlier

    def _earlier_start(self, conn: Connection, key: str | None) -> StartedCase | None:
        case = store.find_case_by_idempotency_key(conn, key) if key else None
        if case is None:
            return None
        definition = self._catalog.get(conn, case.definition_id)
        return StartedCase(case.id, case.number, case.access_code, case.definition_id, definition.version,
                           case.received_at, self._open_task_summaries(store.open_tasks(conn, case.id)),
                           existing=True)

    def _start_case(self, conn: Connection, command: cmd.StartCase, data: dict, applicant) -> StartedCase:
        definition_id = store.latest_definition_id(conn, command.procedure)
        if definition_id is None:
            message = store.not_startable_message(conn, command.procedure)
            raise InvalidInput(message, errors=[{"field": "procedure", "message": message}])
        definition = self._catalog.get(conn, definition_id)
        now = self._clock.now()
        case_id = str(uuid.uuid4())
        number = self._number_format(now.astimezone(self._zone).year,
                                     store.next_case_number(conn, now.astimezone(self._zone).year))
        due_at = self._catalogue.due_at(definition.process_key, now)
        # Keys the engine adds to every case's data; a diagram's SLA timer may use sla_due_at.
        data = {**data, "case_number": number, "channel": command.channel,
                "sla_due_at": due_at.isoformat() if due_at else None}

        task_ids = TaskIdSequence(case_id)
        gateway = LiveServiceGateway(self._operators)
        with execution_context(ManualClock(now), task_ids):
            workflow = runtime.start_workflow(
                definition.spec, definition.subprocess_specs, data, self._script_engine_factory(gateway)
            )
        case = CaseRecord(
            id=case_id, number=number, procedure_key=definition.process_key, definition_id=definition.id,
            status="running", channel=command.channel, applicant=applicant,
            access_code="".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(ACCESS_CODE_LENGTH)),
            idempotency_key=command.idempotency_key, state="", state_hash="", version=0, task_id_counter=0,
            last_event_seq=0, last_event_hash=GENESIS_HASH, received_at=now, updated_at=now,
            due_at=due_at,
        )
        started = PendingEvent(
            runtime.CASE_STARTED, command.actor,
            {"definition_id": definition.id, "procedure": definition.process_key, "version": definition.version,
             "data": data, "channel": command.channel, "applicant": applicant},
        )
        opened = self._persist(conn, case, workflow, task_ids, now, [started, *gateway.recorded])
        return StartedCase(case_id, number, case.access_code, definition.id, definition.version, now, opened)

    # ------------------------------------------------------------------ tasks
    def claim_task(self, command: cmd.ClaimTask) -> CaseChanged:
        def claim(task: TaskRecord) -> PendingEvent:
            if task.status == "claimed" and task.assignee != command.actor:
                raise Conflict(f"Task is already claimed by {task.assignee}", task_id=task.id, assignee=task.assignee)
            task.status, task.assignee = "claimed", command.actor
            return PendingEvent("task_claimed", command.actor, {"task_id": task.id}, element_id=task.element_id)

        return self._change_assignment(command.task_id, claim)

    def unclaim_task(self, command: cmd.UnclaimTask) -> CaseChanged:
        def unclaim(task: TaskRecord) -> PendingEvent:
            if task.status != "claimed":
                raise Conflict("Task is not claimed", task_id=task.id)
            if task.assignee != command.actor and not command.force:
                raise Conflict(f"Task is claimed by {task.assignee}, not by you", task_id=task.id,
                               assignee=task.assignee)
            previous = task.assignee
            task.status, task.assignee = "ready", None
            return PendingEvent("task_unclaimed", command.actor, {"task_id": task.id, "previous_assignee": previous},
                                element_id=task.element_id)

        return self._change_assignment(command.task_id, unclaim)

    def _change_assignment(self, task_id: str, change: Callable[[TaskRecord], PendingEvent]) -> CaseChanged:
        """Claims change the inbox only; they are still events of the case, chained like the rest."""
        with self._db.begin() as conn:
            task = self._open_task(conn, task_id)
            case = self._load_running_case(conn, task.case_id)
            read_version = case.version
            event = change(task)
            now = case.updated_at = self._clock.now()
            rows = self._chain(case, [event], now)
            store.save_case(conn, case, read_version)
            store.append_events(conn, rows)
            store.assign_task(conn, task.id, task.status, task.assignee)
            return CaseChanged(case.id, case.status, case.last_event_seq)

    def complete_task(self, command: cmd.CompleteTask) -> CaseChanged:
        data = _ensure_object(command.data, "data")
        with self._db.begin() as conn:
            task = self._open_task(conn, command.task_id)
            if task.status == "claimed" and task.assignee != command.actor:
                raise Conflict(f"Task is claimed by {task.assignee}", task_id=task.id, assignee=task.assignee)
            case = self._load_running_case(conn, task.case_id)
            definition = self._catalog.get(conn, case.definition_id)
            validate_form(definition, task.form_key, data, self._form_formats)
            event = PendingEvent(runtime.TASK_COMPLETED, command.actor,
                                 {"task_id": task.id, "data": data}, element_id=task.element_id)
            return self._change_case(conn, case, definition, event, completed_task=(task.id, command.actor))

    @staticmethod
    def _open_task(conn: Connection, task_id: str) -> TaskRecord:
        task = store.get_task(conn, task_id)
        if task.status not in store.OPEN_TASK_STATUSES:
            raise Conflict(f"Task {task_id} is already {task.status}", task_id=task_id, status=task.status)
        return task

    # ------------------------------------------------------------------ other case commands
    def deliver_message(self, command: cmd.DeliverMessage) -> CaseChanged:
        payload = _ensure_json(command.payload, "payload")
        event = PendingEvent(runtime.MESSAGE_DELIVERED, command.actor, {"name": command.name, "payload": payload})
        return self._simple_case_change(command.case_id, event)

    def cancel_case(self, command: cmd.CancelCase) -> CaseChanged:
        reason = (command.reason or "").strip()
        if not reason:
            raise InvalidInput("A reason is required to cancel a case",
                               errors=[{"field": "reason", "message": "must not be empty"}])
        event = PendingEvent(runtime.CASE_CANCELLED, command.actor, {"reason": reason})
        return self._simple_case_change(command.case_id, event)

    def fire_due_timers(self, command: cmd.FireDueTimers) -> CaseChanged | None:
        """Wake a case whose timer is due. Returns None (and records nothing) if none is due.

        The case row is locked and its version checked, so however many schedulers or workers
        race on one case, one of them fires its timers and the others find nothing due.
        When an SLA timer fires, the case is marked overdue (from the timer's due time) and the
        notification policy's messages are queued in the outbox, in the same transaction.
        """
        with self._db.begin() as conn:
            case = self._load_running_case(conn, command.case_id)
            now = self._clock.now()
            # SpiffWorkflow fires a timer only once its due time is strictly past.
            if case.next_timer_at is None or case.next_timer_at >= now:
                return None
            definition = self._catalog.get(conn, case.definition_id)
            event = PendingEvent(runtime.TIMERS_FIRED, command.actor, {"due": case.next_timer_at.isoformat()})
            breached: list[tuple[str, datetime]] = []

            def find_breaches(workflow) -> list[PendingEvent]:
                breached.extend(runtime.due_sla_timers(workflow, now))
                if not breached or case.overdue_at is not None:
                    return []
                case.overdue_at = min(when for _element, when in breached)
                return [PendingEvent("case_overdue", "engine", {
                    "overdue_at": case.overdue_at.isoformat(), "due_at": _iso(case.due_at),
                    "elements": sorted({element for element, _when in breached})})]

            changed = self._change_case(conn, case, definition, event, inspect=find_breaches)
            if breached:
                self._queue_notifications(conn, case, "sla_breach", now)
            return changed

    def reschedule_case(self, command: cmd.RescheduleCase) -> CaseChanged | None:
        """Move the due date after a calendar change; the SLA timers and ``sla_due_at`` follow."""
        reason = (command.reason or "").strip()
        if not reason:
            raise InvalidInput("A reason is required", errors=[{"field": "reason", "message": "must not be empty"}])
        with self._db.begin() as conn:
            case = self._load_running_case(conn, command.case_id)
            now = self._clock.now()
            due = self._catalogue.due_at(case.procedure_key, case.received_at,
                                         extension=self._sla_extra(case), known_at=now)
            if due is None or due == case.due_at:
                return None
            definition = self._catalog.get(conn, case.definition_id)
            event = PendingEvent(runtime.DUE_DATE_CHANGED, command.actor, {
                "due_at": self._local_iso(due),
                "previous_due_at": self._local_iso(case.due_at) if case.due_at else None, "reason": reason[:500],
                "paused": case.sla_paused_at is not None})
            case.due_at = due
            return self._change_case(conn, case, definition, event)

    def _queue_notifications(self, conn: Connection, case: CaseRecord, kind: str, now: datetime) -> None:
        facts = {
            "case_id": case.id, "number": case.number, "procedure": case.procedure_key,
            "standard_time": self._catalogue.standard_time(case.procedure_key), "applicant": case.applicant,
            "received_at": case.received_at, "due_at": case.due_at, "overdue_at": case.overdue_at,
        }
        store.queue_notifications(conn, case.id, kind, self._notifications.drafts(kind, facts), now)

    def _local_iso(self, moment: datetime) -> str:
        return moment.astimezone(self._zone).isoformat()

    def record_rating(self, command: cmd.RecordRating) -> CaseChanged:
        """Store the rating, record it on the case, and hand it to the BPMN if it waits for one."""
        score, comment = command.score, (command.comment or "").strip() or None
        if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
            raise InvalidInput("The score must be a whole number from 1 to 5",
                               errors=[{"field": "score", "message": "must be an integer from 1 to 5"}])
        if comment and len(comment) > MAX_COMMENT_LENGTH:
            raise InvalidInput("The comment is too long",
                               errors=[{"field": "comment", "message": f"at most {MAX_COMMENT_LENGTH} characters"}])
        with self._db.begin() as conn:
            case = store.load_case(conn, command.case_id)
            if case.status == "cancelled":
                raise Conflict(f"Case {case.number} was cancelled and cannot be rated", case_id=case.id)
            now = self._clock.now()
            store.insert_rating(conn, case, score, comment, now)
            rated = PendingEvent("rating_recorded", command.actor, {"score": score, "comment": comment})
            if case.status == "running":
                definition = self._catalog.get(conn, case.definition_id)
                delivered = PendingEvent(runtime.MESSAGE_DELIVERED, command.actor,
                                         {"name": RATING_MESSAGE, "payload": {"score": score, "comment": comment}})
                try:
                    return self._change_case(conn, case, definition, delivered, extra_events=[rated])
                except Conflict:
                    pass  # the BPMN does not wait for a rating: record it on the case only
            read_version = case.version
            rows = self._chain(case, [rated], now)
            case.updated_at = now
            store.save_case(conn, case, read_version)
            store.append_events(conn, rows)
            return CaseChanged(case.id, case.status, case.last_event_seq)

    def record_service_outcome(self, command: cmd.RecordServiceOutcome) -> CaseChanged | None:
        """Record a worker's answer as the cause of a command that completes the waiting task
        (or throws its BPMN error) and closes the job, once: a job already closed is left alone."""
        with self._db.begin() as conn:
            job = jobs.get(conn, command.job_id)
            if job is None or job.status not in jobs.OPEN:
                return None
            # The case row first, as every command locks it, then the job: no lock cycle.
            case = store.load_case(conn, job.case_id)
            job = jobs.get(conn, command.job_id, for_update=True)
            now = self._clock.now()
            if job.status not in jobs.OPEN:
                return None
            if case.status != "running":
                jobs.finish(conn, job.id, "cancelled", now)
                return None
            attempts = [*job.attempt_log, command.attempt]
            payload = {"task_id": job.task_id, "job_id": job.id, "operation": job.operation, "params": job.params,
                       **_ensure_object(command.evidence, "evidence"), "attempts": attempts}
            if command.error is not None:
                payload["error"] = {**command.error, "operation": job.operation, "attempts": len(attempts)}
            else:
                payload["result"] = _ensure_json(command.result, "result")
            jobs.finish(conn, job.id, "failed" if command.error is not None else "done", now,
                        error=command.error["code"] if command.error is not None else None)
            event = PendingEvent(runtime.SERVICE_RESULT_RECORDED, command.actor, payload, element_id=job.element_id)
            return self._change_case(conn, case, self._catalog.get(conn, case.definition_id), event)

    def _simple_case_change(self, case_id: str, event: PendingEvent) -> CaseChanged:
        with self._db.begin() as conn:
            case = self._load_running_case(conn, case_id)
            definition = self._catalog.get(conn, case.definition_id)
            return self._change_case(conn, case, definition, event)

    # ------------------------------------------------------------------ the shared path
    @staticmethod
    def _load_running_case(conn: Connection, case_id: str) -> CaseRecord:
        case = store.load_case(conn, case_id)
        if case.status != "running":
            raise Conflict(f"Case {case.number} is {case.status}", case_id=case_id, status=case.status)
        return case

    def _change_case(self, conn: Connection, case: CaseRecord, definition: ParsedDefinition, event: PendingEvent,
                     completed_task: tuple[str, str] | None = None,
                     extra_events: list[PendingEvent] = (),
                     inspect: Callable[[Any], list[PendingEvent]] | None = None) -> CaseChanged:
        now = self._clock.now()
        task_ids = TaskIdSequence(case.id, case.task_id_counter)
        gateway = LiveServiceGateway(self._operators)
        with execution_context(ManualClock(now), task_ids):
            workflow = serialization.loads(case.state, definition.spec, definition.subprocess_specs)
            # The inbox rows of a case are exactly its READY user/manual tasks, so the tasks
            # before the change tell which rows are open without asking the database.
            ready_before = runtime.ready_tasks(workflow)
            waiting_before = waiting_service_tasks(workflow)
            workflow.script_engine = self._script_engine_factory(gateway)
            observed = inspect(workflow) if inspect is not None else []
            runtime.apply_change(workflow, event.type, event.payload)
            events = [event, *gateway.recorded, *observed, *extra_events]
            # A change of the SLA clock is a command of its own (its own group in the history),
            # following the one that caused it, so replay applies it like any other.
            earlier = []
            if event.type != runtime.CASE_CANCELLED:
                for clock_change in (self._sla_extension, self._sla_clock_change):
                    follow_up = clock_change(case, workflow, now)
                    if follow_up is not None:
                        earlier.append((events, serialization.dumps(workflow)))
                        runtime.apply_change(workflow, follow_up.type, follow_up.payload)
                        events = [follow_up]
        opened = self._persist(conn, case, workflow, task_ids, now, events, completed_task,
                               ready_before=ready_before, earlier=earlier or None, waiting_before=waiting_before)
        return CaseChanged(case.id, case.status, case.last_event_seq, opened)

    def _sla_extension(self, case: CaseRecord, workflow, now: datetime) -> PendingEvent | None:
        """Move the due date when the diagram granted the case more standard time: an element
        marked slaExtension finished (e.g. a complaint's extension, notified to the complainant)."""
        if case.due_at is None or workflow.is_completed():
            return None
        granted = runtime.new_sla_extensions(workflow)
        if not granted:
            return None
        amount = sum(part for _task_id, part in granted)
        case.sla_extended_amount = (case.sla_extended_amount or 0.0) + amount
        due = self._catalogue.due_at(case.procedure_key, case.received_at, extension=self._sla_extra(case),
                                     known_at=now) or case.due_at
        standard = self._catalogue.standard_time(case.procedure_key) or {}
        payload = {"extended": amount, "unit": standard.get("unit"), "previous_due_at": self._local_iso(case.due_at),
                   "due_at": self._local_iso(due), "paused": case.sla_paused_at is not None,
                   "task_ids": [task_id for task_id, _part in granted]}
        case.due_at = due
        return PendingEvent(runtime.SLA_EXTENDED, "engine", payload)

    @staticmethod
    def _sla_extra(case: CaseRecord) -> float:
        """Standard time added to the case's period: pauses (§51) and the diagram's extensions."""
        return (case.sla_paused_amount or 0.0) + (case.sla_extended_amount or 0.0)

    def _sla_clock_change(self, case: CaseRecord, workflow, now: datetime) -> PendingEvent | None:
        """Pause the SLA clock when the case starts waiting at an slaPause element (§51: waiting
        for the applicant's documents) and resume it, with the due date moved by the paused
        time, when it no longer waits there."""
        if case.due_at is None or workflow.is_completed():
            return None
        point = runtime.sla_pause_point(workflow)
        if point is not None and case.sla_paused_at is None:
            case.sla_paused_at = now
            return PendingEvent(runtime.SLA_PAUSED, "engine", {"due_at": self._local_iso(case.due_at)},
                                element_id=point)
        if point is None and case.sla_paused_at is not None:
            paused_at = case.sla_paused_at
            amount = self._catalogue.paused_amount(case.procedure_key, paused_at, now)
            case.sla_paused_amount = (case.sla_paused_amount or 0.0) + amount
            due = self._catalogue.due_at(case.procedure_key, case.received_at, extension=self._sla_extra(case),
                                         known_at=now) or case.due_at
            standard = self._catalogue.standard_time(case.procedure_key) or {}
            payload = {"paused_at": paused_at.isoformat(), "paused": amount, "unit": standard.get("unit"),
                       "previous_due_at": self._local_iso(case.due_at), "due_at": self._local_iso(due)}
            case.due_at, case.sla_paused_at = due, None
            return PendingEvent(runtime.SLA_RESUMED, "engine", payload)
        return None

    def _persist(self, conn: Connection, case: CaseRecord, workflow, task_ids: TaskIdSequence, now: datetime,
                 events: list[PendingEvent], completed_task: tuple[str, str] | None = None,
                 ready_before: list[runtime.ReadyTask] = (),
                 earlier: list[tuple[list[PendingEvent], str]] | None = None,
                 waiting_before: list[WaitingServiceTask] = ()) -> tuple[OpenTask, ...]:
        """Write the case after ``events``; ``earlier`` holds (events, state) of commands applied
        before them in this transaction (a change and the SLA clock change it caused)."""
        new_case = case.version == 0
        read_version = case.version
        case.state = serialization.dumps(workflow)
        case.state_hash = runtime.state_hash(case.state)
        case.task_id_counter = task_ids.next_index
        case.updated_at = now
        case.next_timer_at = runtime.next_timer_due(workflow)
        cause = earlier[0][0][0] if earlier else events[0]
        if cause.type == runtime.CASE_CANCELLED:
            case.status, case.closed_at, case.close_reason = "cancelled", now, cause.payload["reason"]
        elif workflow.is_completed():
            case.status, case.closed_at = "completed", now
            events = [*events, PendingEvent("case_completed", "engine")]
        if self.before_events_written is not None:
            self.before_events_written(case)
        # The case row first: it holds the optimistic lock, so a racing command fails before
        # it writes anything else.
        final_hash, rows = case.state_hash, []
        for earlier_events, earlier_state in earlier or []:
            case.state_hash = runtime.state_hash(earlier_state)
            rows += self._chain(case, earlier_events, now)
        case.state_hash = final_hash
        rows += self._chain(case, events, now)
        if new_case:
            case.version = 1
            store.insert_case(conn, case)
        else:
            store.save_case(conn, case, read_version)
        store.append_events(conn, rows)
        ready = runtime.ready_tasks(workflow) if case.status == "running" else []
        self._sync_inbox(conn, case, ready_before, ready, now, completed_task)
        self._sync_service_jobs(conn, case, waiting_before, workflow, now)
        return tuple(OpenTask(t.id, t.element_id, t.name, t.lane) for t in ready)

    @staticmethod
    def _sync_service_jobs(conn: Connection, case: CaseRecord, waiting_before: list[WaitingServiceTask],
                           workflow, now: datetime) -> None:
        """A job for each service task that started waiting; none any more for those that
        stopped waiting without an answer (the answered one's job is already closed)."""
        before = {task.task_id for task in waiting_before}
        after = waiting_service_tasks(workflow) if case.status == "running" else []
        jobs.queue(conn, case.id, [task for task in after if task.task_id not in before], now)
        jobs.cancel(conn, list(before - {task.task_id for task in after}), now)

    @staticmethod
    def _chain(case: CaseRecord, events: list[PendingEvent], now: datetime) -> list[dict]:
        rows = chain_events(case.id, str(uuid.uuid4()), events, occurred_at=now, after_seq=case.last_event_seq,
                            after_hash=case.last_event_hash, state_hash=case.state_hash)
        case.last_event_seq, case.last_event_hash = rows[-1]["seq"], rows[-1]["hash"]
        return rows

    @staticmethod
    def _sync_inbox(conn: Connection, case: CaseRecord, ready_before: list[runtime.ReadyTask],
                    ready_after: list[runtime.ReadyTask], now: datetime,
                    completed_task: tuple[str, str] | None) -> None:
        """Make the case's inbox rows follow its READY user/manual tasks."""
        after = {task.id: task for task in ready_after}
        closed = []
        for task in ready_before:
            still_open = after.pop(task.id, None)
            if still_open is not None:
                if still_open.due_at != task.due_at:
                    store.set_task_due(conn, task.id, still_open.due_at)
            elif completed_task is not None and task.id == completed_task[0]:
                closed.append((task.id, "completed", now, completed_task[1]))
            else:
                closed.append((task.id, "cancelled", now, None))
        store.close_tasks(conn, closed)
        store.insert_tasks(conn, [
            TaskRecord(id=task.id, case_id=case.id, element_id=task.element_id, name=task.name,
                       element_type=task.element_type, lane=task.lane, form_key=task.form_key,
                       status="ready", assignee=None, created_at=now, due_at=task.due_at)
            for task in after.values()
        ])

    @staticmethod
    def _open_task_summaries(tasks: list[TaskRecord]) -> tuple[OpenTask, ...]:
        return tuple(OpenTask(t.id, t.element_id, t.name, t.lane) for t in tasks)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def validate_form(definition: ParsedDefinition, form_key: str | None, data: dict,
                  formats: FormFormats | None = None) -> None:
    """Check submitted data against the task's JSON Schema (with the domain's extra formats);
    every mismatch is reported by field."""
    schema = definition.forms.get(form_key) if form_key else None
    if schema is None:
        return  # validation at deploy guarantees that referenced forms exist
    validator_class = jsonschema.validators.validator_for(schema)
    checker = formats.checker(validator_class.FORMAT_CHECKER) if formats else validator_class.FORMAT_CHECKER
    validator = validator_class(schema, format_checker=checker)
    errors = [
        {"field": "/".join(str(part) for part in error.absolute_path) or "(form)", "message": error.message}
        for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if errors:
        raise InvalidInput(f"The data does not match the form '{form_key}'", errors=errors)
