"""Command handlers: each command is one transaction that writes the case's new state, its
events and its projections together, or nothing at all.

The shape of every case command is the same (``_change_case``): lock and load the case,
apply one change to its workflow under a fixed clock and task-id sequence, then persist state,
events and inbox rows. Optimistic concurrency (the ``version`` column) guarantees that two
commands racing on one case cannot both commit.
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
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from . import commands as cmd
from . import runtime, serialization
from .clock import Clock, ManualClock, TaskIdSequence, execution_context
from .definitions import DefinitionCatalog, ParsedDefinition, latest_definition
from .errors import Conflict, InvalidInput, NotFound
from .eventlog import GENESIS_HASH, PendingEvent, chain_events
from .gateways import LiveServiceGateway
from .models import Case, CaseNumberCounter, Task
from .registries import ServiceOperators

ACCESS_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
ACCESS_CODE_LENGTH = 8
OPEN_TASK_STATUSES = ("ready", "claimed")


@dataclass(frozen=True)
class StartedCase:
    case_id: str
    number: str
    access_code: str
    definition_id: int
    version: int
    received_at: datetime
    existing: bool = False  # True when an idempotency key matched an earlier start


@dataclass(frozen=True)
class CaseChanged:
    case_id: str
    status: str
    last_event_seq: int


def access_code_matches(case: Case, code: str) -> bool:
    return hmac.compare_digest(case.access_code.encode(), (code or "").encode())


def _ensure_json(value: Any, field: str) -> Any:
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"'{field}' must be plain JSON", errors=[{"field": field, "message": str(error)}])


class CommandHandlers:
    def __init__(
        self,
        sessions: sessionmaker,
        catalog: DefinitionCatalog,
        clock: Clock,
        script_engine_factory: Callable[[Any], Any],
        operators: ServiceOperators,
        *,
        channels: tuple[str, ...],
        local_timezone: ZoneInfo,
        case_number_format: Callable[[int, int], str],
    ) -> None:
        self._sessions = sessions
        self._catalog = catalog
        self._clock = clock
        self._script_engine_factory = script_engine_factory
        self._operators = operators
        self._channels = channels
        self._zone = local_timezone
        self._number_format = case_number_format
        # Test hook: called inside the transaction after state is written and before events and
        # projections are; a test raises here to prove that a failed command leaves no trace.
        self.before_events_written: Callable[[Case], None] | None = None

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
        data = _ensure_json(command.data or {}, "data")
        if not isinstance(data, dict):
            raise InvalidInput("'data' must be an object", errors=[{"field": "data", "message": "must be an object"}])
        if command.channel not in self._channels:
            raise InvalidInput(
                f"Unknown channel '{command.channel}'",
                errors=[{"field": "channel", "message": f"must be one of {', '.join(self._channels)}"}],
            )
        applicant = _ensure_json(command.applicant, "applicant")
        try:
            with self._sessions.begin() as session:
                if command.idempotency_key:
                    earlier = self._case_for_idempotency_key(session, command.idempotency_key)
                    if earlier is not None:
                        return earlier
                return self._start_case(session, command, data, applicant)
        except Conflict:
            # A concurrent request with the same idempotency key committed first.
            if command.idempotency_key:
                with self._sessions.begin() as session:
                    earlier = self._case_for_idempotency_key(session, command.idempotency_key)
                    if earlier is not None:
                        return earlier
            raise

    def _case_for_idempotency_key(self, session: Session, key: str) -> StartedCase | None:
        case = session.scalar(select(Case).where(Case.idempotency_key == key))
        if case is None:
            return None
        definition = self._catalog.get(session, case.definition_id)
        return StartedCase(case.id, case.number, case.access_code, case.definition_id,
                           definition.version, case.received_at, existing=True)

    def _start_case(self, session: Session, command: cmd.StartCase, data: dict, applicant) -> StartedCase:
        try:
            row = latest_definition(session, command.procedure)
        except NotFound as missing:
            raise InvalidInput(missing.message, errors=[{"field": "procedure", "message": missing.message}])
        definition = self._catalog.get(session, row.id)
        now = self._clock.now()
        case_id = str(uuid.uuid4())
        number = self._next_case_number(session, now)
        access_code = "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(ACCESS_CODE_LENGTH))
        data = {**data, "case_number": number, "channel": command.channel}

        task_ids = TaskIdSequence(case_id)
        gateway = LiveServiceGateway(self._operators)
        with execution_context(ManualClock(now), task_ids):
            workflow = runtime.start_workflow(
                definition.spec, definition.subprocess_specs, data, self._script_engine_factory(gateway)
            )
        case = Case(
            id=case_id, number=number, procedure_key=definition.process_key, definition_id=definition.id,
            status="running", channel=command.channel, applicant=applicant,
            access_code=access_code, idempotency_key=command.idempotency_key, received_at=now,
            last_event_seq=0, last_event_hash=GENESIS_HASH,
        )
        started = PendingEvent(
            runtime.CASE_STARTED, command.actor,
            {"definition_id": definition.id, "procedure": definition.process_key, "version": definition.version,
             "data": data, "channel": command.channel, "applicant": applicant},
        )
        session.add(case)
        self._persist(session, case, workflow, task_ids, now, [started, *gateway.recorded])
        return StartedCase(case_id, number, access_code, definition.id, definition.version, now)

    def _next_case_number(self, session: Session, now: datetime) -> str:
        year = now.astimezone(self._zone).year
        # UPDATE first: it takes the row lock on PostgreSQL, so concurrent starts queue here.
        result = session.execute(
            update(CaseNumberCounter).where(CaseNumberCounter.year == year)
            .values(last_number=CaseNumberCounter.last_number + 1).returning(CaseNumberCounter.last_number)
        ).scalar()
        if result is None:
            session.add(CaseNumberCounter(year=year, last_number=1))
            session.flush()
            result = 1
        return self._number_format(year, result)

    # ------------------------------------------------------------------ tasks
    def claim_task(self, command: cmd.ClaimTask) -> CaseChanged:
        def claim(session, case, task):
            if task.status == "claimed" and task.assignee != command.actor:
                raise Conflict(f"Task is already claimed by {task.assignee}", task_id=task.id, assignee=task.assignee)
            task.status, task.assignee = "claimed", command.actor
            return PendingEvent("task_claimed", command.actor, {"task_id": task.id}, element_id=task.element_id)

        return self._change_task_assignment(command.task_id, claim)

    def unclaim_task(self, command: cmd.UnclaimTask) -> CaseChanged:
        def unclaim(session, case, task):
            if task.status != "claimed":
                raise Conflict("Task is not claimed", task_id=task.id)
            if task.assignee != command.actor and not command.force:
                raise Conflict(f"Task is claimed by {task.assignee}, not by you", task_id=task.id,
                               assignee=task.assignee)
            previous = task.assignee
            task.status, task.assignee = "ready", None
            return PendingEvent("task_unclaimed", command.actor, {"task_id": task.id, "previous_assignee": previous},
                                element_id=task.element_id)

        return self._change_task_assignment(command.task_id, unclaim)

    def _change_task_assignment(self, task_id: str, change) -> CaseChanged:
        """Claims change the inbox only; they are still events of the case, chained like the rest."""
        with self._sessions.begin() as session:
            task = self._open_task(session, task_id)
            case = self._lock_case(session, task.case_id)
            event = change(session, case, task)
            now = self._clock.now()
            self._append_events(session, case, [event], now, case.state_hash)
            case.updated_at = now
            self._flush(session)
            return CaseChanged(case.id, case.status, case.last_event_seq)

    def complete_task(self, command: cmd.CompleteTask) -> CaseChanged:
        data = _ensure_json(command.data or {}, "data")
        if not isinstance(data, dict):
            raise InvalidInput("'data' must be an object", errors=[{"field": "data", "message": "must be an object"}])
        with self._sessions.begin() as session:
            task = self._open_task(session, command.task_id)
            if task.status == "claimed" and task.assignee != command.actor:
                raise Conflict(f"Task is claimed by {task.assignee}", task_id=task.id, assignee=task.assignee)
            case = self._lock_case(session, task.case_id)
            definition = self._catalog.get(session, case.definition_id)
            self._validate_form(definition, task, data)
            event = PendingEvent(runtime.TASK_COMPLETED, command.actor,
                                 {"task_id": task.id, "data": data}, element_id=task.element_id)
            return self._change_case(session, case, definition, event, completed_task=(task.id, command.actor))

    def _open_task(self, session: Session, task_id: str) -> Task:
        task = session.get(Task, task_id)
        if task is None:
            raise NotFound(f"Task {task_id} does not exist", task_id=task_id)
        if task.status not in OPEN_TASK_STATUSES:
            raise Conflict(f"Task {task_id} is already {task.status}", task_id=task_id, status=task.status)
        return task

    @staticmethod
    def _validate_form(definition: ParsedDefinition, task: Task, data: dict) -> None:
        if not task.form_key:
            return
        schema = definition.forms.get(task.form_key)
        if schema is None:
            return  # validation at deploy guarantees referenced forms exist
        validator_class = jsonschema.validators.validator_for(schema)
        validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
        errors = [
            {"field": "/".join(str(part) for part in error.absolute_path) or "(form)", "message": error.message}
            for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
        ]
        if errors:
            raise InvalidInput(f"The data does not match the form '{task.form_key}'", errors=errors)

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
        """Wake a case whose timer is due. Returns None (and records nothing) if none is due."""
        with self._sessions.begin() as session:
            case = self._lock_case(session, command.case_id)
            now = self._clock.now()
            if case.next_timer_at is None or case.next_timer_at > now:
                return None
            definition = self._catalog.get(session, case.definition_id)
            event = PendingEvent(runtime.TIMERS_FIRED, command.actor, {"due": case.next_timer_at.isoformat()})
            return self._change_case(session, case, definition, event)

    def _simple_case_change(self, case_id: str, event: PendingEvent) -> CaseChanged:
        with self._sessions.begin() as session:
            case = self._lock_case(session, case_id)
            definition = self._catalog.get(session, case.definition_id)
            return self._change_case(session, case, definition, event)

    # ------------------------------------------------------------------ the shared path
    def _lock_case(self, session: Session, case_id: str) -> Case:
        # FOR UPDATE queues concurrent commands on PostgreSQL; SQLite's BEGIN IMMEDIATE already did.
        case = session.get(Case, case_id, with_for_update=True)
        if case is None:
            raise NotFound(f"Case {case_id} does not exist", case_id=case_id)
        if case.status != "running":
            raise Conflict(f"Case {case.number} is {case.status}", case_id=case_id, status=case.status)
        return case

    def _change_case(self, session, case: Case, definition: ParsedDefinition, event: PendingEvent,
                     completed_task: tuple[str, str] | None = None) -> CaseChanged:
        now = self._clock.now()
        task_ids = TaskIdSequence(case.id, case.task_id_counter)
        gateway = LiveServiceGateway(self._operators)
        with execution_context(ManualClock(now), task_ids):
            workflow = serialization.loads(case.state, definition.spec, definition.subprocess_specs)
            workflow.script_engine = self._script_engine_factory(gateway)
            runtime.apply_change(workflow, event.type, event.payload)
        self._persist(session, case, workflow, task_ids, now, [event, *gateway.recorded], completed_task)
        return CaseChanged(case.id, case.status, case.last_event_seq)

    def _persist(self, session, case: Case, workflow, task_ids: TaskIdSequence, now: datetime,
                 events: list[PendingEvent], completed_task: tuple[str, str] | None = None) -> None:
        state = serialization.dumps(workflow)
        case.state, case.state_hash = state, runtime.state_hash(state)
        case.task_id_counter = task_ids.next_index
        case.updated_at = now
        case.next_timer_at = runtime.next_timer_due(workflow)
        if events[0].type == runtime.CASE_CANCELLED:
            case.status, case.closed_at, case.close_reason = "cancelled", now, events[0].payload["reason"]
        elif workflow.is_completed():
            case.status, case.closed_at = "completed", now
            events = [*events, PendingEvent("case_completed", "engine")]
        if self.before_events_written is not None:
            self.before_events_written(case)
        self._append_events(session, case, events, now, case.state_hash)
        self._sync_inbox(session, case, workflow, now, completed_task)
        self._flush(session)

    @staticmethod
    def _append_events(session, case: Case, events: list[PendingEvent], now: datetime, state_hash: str) -> None:
        rows = chain_events(case.id, str(uuid.uuid4()), events, occurred_at=now,
                            after_seq=case.last_event_seq, after_hash=case.last_event_hash, state_hash=state_hash)
        session.add_all(rows)
        case.last_event_seq, case.last_event_hash = rows[-1].seq, rows[-1].hash

    @staticmethod
    def _sync_inbox(session, case: Case, workflow, now: datetime, completed_task) -> None:
        """Make the case's inbox rows match its READY user/manual tasks."""
        ready = {task.id: task for task in runtime.ready_tasks(workflow)} if case.status == "running" else {}
        open_rows = session.scalars(
            select(Task).where(Task.case_id == case.id, Task.status.in_(OPEN_TASK_STATUSES))
        ).all()
        for row in open_rows:
            if row.id in ready:
                row.due_at = ready.pop(row.id).due_at
            elif completed_task is not None and row.id == completed_task[0]:
                row.status, row.completed_at, row.completed_by = "completed", now, completed_task[1]
            else:
                row.status, row.completed_at = "cancelled", now
        for task in ready.values():
            session.add(Task(
                id=task.id, case_id=case.id, element_id=task.element_id, name=task.name,
                element_type=task.element_type, lane=task.lane, form_key=task.form_key,
                status="ready", created_at=now, due_at=task.due_at,
            ))

    @staticmethod
    def _flush(session) -> None:
        try:
            session.flush()
        except StaleDataError as error:
            raise Conflict("Someone else changed this case at the same time; reload and try again") from error
        except IntegrityError as error:
            # Two commands raced past their checks; the unique (case, seq) constraint stopped one.
            raise Conflict("Someone else changed this case at the same time; reload and try again") from error
