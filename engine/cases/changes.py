"""The shared path of every case command: lock and load the case, apply one change to its
workflow under a fixed clock and task-id sequence, and persist state, events and projections
(``CaseChanges._change_case`` and ``_persist``). The command handlers build on it."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial
from typing import Any, Callable
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import sessionmaker

from engine.cases import notices, projections
from engine.cases.inputs import DataLimits
from engine.cases.sla_clock import SlaClock
from engine.cases.transactions import CommandTransactions
from engine.cases.workflow_cache import CachedWorkflow, WorkflowCache
from engine.clock import Clock, ManualClock, TaskIdSequence, execution_context
from engine.definitions.deployments import Deployments, ParsedDefinition
from engine.errors import Conflict
from engine.events import (
    CASE_CANCELLED,
    CASE_COMPLETED,
    CASE_OVERDUE,
    CASE_STARTED,
    INCIDENT_RESOLVED,
    TASK_COMPLETED,
    PendingEvent,
)
from engine.registries import CaseIndex, FormFormats, NotificationPolicy, ProcedureCatalogue, ServiceOperators
from engine.results import CaseChanged, OpenTask
from engine.storage import incidents, store
from engine.storage.documents import DocumentStore
from engine.storage.eventlog import chain_events
from engine.storage.offices import OfficeDirectory
from engine.storage.store import CaseRecord, TaskRecord
from engine.workflow import runtime, serialization
from engine.workflow.describe import current_data
from engine.workflow.gateways import LiveServiceGateway
from engine.workflow.service_tasks import WaitingServiceTask, waiting_service_tasks


class CaseChanges:
    def __init__(
        self,
        db: Engine,
        sessions: sessionmaker,
        deployments: Deployments,
        clock: Clock,
        script_engine_factory: Callable[[Any], Any],
        operators: ServiceOperators,
        catalogue: ProcedureCatalogue,
        *,
        notifications: NotificationPolicy | None = None,
        channels: tuple[str, ...],
        local_timezone: ZoneInfo,
        case_number_format: Callable[[int, int, str], str],
        workflow_cache_size: int = 1000,
        form_formats: FormFormats | None = None,
        documents: DocumentStore | None = None,
        document_rules=None,
        case_index: CaseIndex | None = None,
        mask_text: Callable[[str], str] | None = None,
        data_limits: DataLimits | None = None,
        offices: OfficeDirectory | None = None,
    ) -> None:
        self._data_limits = data_limits or DataLimits()
        self._db = db
        self._sessions = sessions
        self._deployments = deployments
        self._clock = clock
        self._script_engine_factory = script_engine_factory
        self._operators = operators
        self._catalogue = catalogue
        self._notifications = notifications or NotificationPolicy()
        self._channels = channels
        self._zone = local_timezone
        # Where each office is (its calendar's place), read once per office.
        self._offices = offices or OfficeDirectory(db)
        self._sla = SlaClock(catalogue, local_timezone, self._offices.place)
        self._number_format = case_number_format
        self._form_formats = form_formats or FormFormats()
        # Where attached files' bytes go (engine.storage.documents) and which files are taken
        # (engine.cases.documents.DocumentRules); without a store, cases take no files.
        self._documents = documents
        self._document_rules = document_rules
        self._case_index = case_index or CaseIndex()
        # The domain's masking of personal data in free text (incident messages).
        self._masker = mask_text or (lambda text: text)
        # Test hook: called inside the transaction after the new state is computed and before it,
        # its events and projections are written; a test raises here to prove that a failed
        # command leaves no trace.
        self.before_events_written: Callable[[CaseRecord], None] | None = None
        self.workflows = WorkflowCache(workflow_cache_size)
        self._transaction = CommandTransactions(db)

    @staticmethod
    def _cache_key(case: CaseRecord) -> tuple:
        return case.definition_id, case.version, case.state_hash

    @staticmethod
    def _load_running_case(conn: Connection, case_id: str) -> CaseRecord:
        return CaseChanges._ensure_running(store.load_case(conn, case_id))

    @staticmethod
    def _ensure_running(case: CaseRecord) -> CaseRecord:
        if case.status != "running":
            raise Conflict(f"Case {case.number} is {case.status}", case_id=case.id, status=case.status)
        return case

    def _change_case(
        self,
        conn: Connection,
        case: CaseRecord,
        definition: ParsedDefinition,
        event: PendingEvent,
        completed_task: tuple[str, str] | None = None,
        extra_events: list[PendingEvent] = (),
        inspect: Callable[[Any], list[PendingEvent]] | None = None,
        after_change: Callable[[Any], None] | None = None,
    ) -> CaseChanged:
        now = self._clock.now()
        task_ids = TaskIdSequence(case.id, case.task_id_counter)
        gateway = LiveServiceGateway(self._operators)
        with execution_context(ManualClock(now), task_ids):
            cached = self.workflows.take(case.id, self._cache_key(case))
            if cached is None:
                workflow = serialization.loads(case.state, definition.spec, definition.subprocess_specs)
                # The inbox rows of a case are exactly its READY user/manual tasks, so the tasks
                # before the change tell which rows are open without asking the database.
                ready_before = runtime.ready_tasks(workflow)
                waiting_before = waiting_service_tasks(workflow)
            else:
                workflow, ready_before, waiting_before = (
                    cached.workflow,
                    cached.ready_tasks,
                    cached.waiting_service_tasks,
                )
            workflow.script_engine = self._script_engine_factory(gateway)
            observed = inspect(workflow) if inspect is not None else []
            # The clock may have run past the due date before this command (the scheduler had
            # not come by yet): that breach stands, whatever the command does to the due date.
            passed = self._sla.breach(case, now)
            observed = [*observed, passed] if passed is not None else observed
            runtime.apply_change(workflow, event.type, event.payload)
            if after_change is not None:
                after_change(workflow)
            events = [event, *gateway.recorded, *observed, *extra_events]
            clock_changes = (
                ()
                if event.type == CASE_CANCELLED
                else (
                    partial(self._sla.standard_change, pauses=partial(store.sla_pauses, conn, case.id)),
                    self._sla.extension,
                    self._sla.pause_or_resume,
                    self._sla.delivery,
                )
            )
            events, earlier = self._follow_sla_clock(case, workflow, now, events, clock_changes)
        opened, wake_at = self._persist(
            conn,
            case,
            workflow,
            task_ids,
            now,
            events,
            completed_task,
            ready_before=ready_before,
            earlier=earlier,
            waiting_before=waiting_before,
        )
        return CaseChanged(case.id, case.status, case.last_event_seq, opened, wake_at)

    @staticmethod
    def _follow_sla_clock(
        case: CaseRecord, workflow, now: datetime, events: list[PendingEvent], clock_changes
    ) -> tuple[list[PendingEvent], list | None]:
        """Apply the SLA clock changes (SlaClock methods) the change of ``events`` calls for.
        Each is a command of its own (its own group in the history) following the one that
        caused it, so replay applies it like any other. Returns the last group's events and the
        (events, state) of the groups before it, for ``_persist``. Call it under the command's
        execution context."""
        earlier = []
        for clock_change in clock_changes:
            follow_up = clock_change(case, workflow, now)
            if follow_up is not None:
                earlier.append((events, serialization.dumps(workflow)))
                runtime.apply_change(workflow, follow_up.type, follow_up.payload)
                events = [follow_up]
        return events, earlier or None

    def _persist(
        self,
        conn: Connection,
        case: CaseRecord,
        workflow,
        task_ids: TaskIdSequence,
        now: datetime,
        events: list[PendingEvent],
        completed_task: tuple[str, str] | None = None,
        ready_before: list[runtime.ReadyTask] = (),
        earlier: list[tuple[list[PendingEvent], str]] | None = None,
        waiting_before: list[WaitingServiceTask] = (),
    ) -> tuple[tuple[OpenTask, ...], datetime | None]:
        """Write the case after ``events``; ``earlier`` holds (events, state) of commands applied
        before them in this transaction (a change and the SLA clock change it caused). Returns
        the open tasks and when the case next needs the scheduler."""
        new_case = case.version == 0
        read_version = case.version
        case.state, plain_json = serialization.encode(workflow)
        case.state_hash = runtime.state_hash(case.state)
        case.task_id_counter = task_ids.next_index
        case.updated_at = now
        case.timer_incident_id = runtime.timers_held_by(workflow)
        cause = earlier[0][0][0] if earlier else events[0]
        breach = self._sla.breach(case, now)  # before closing: a case closed late was late
        if breach is not None:
            events = [*events, breach]
        if cause.type == CASE_CANCELLED:
            case.status, case.closed_at, case.close_reason = "cancelled", now, cause.payload["reason"]
            case.close_kind = "withdrawn" if cause.payload.get("withdrawn") else "cancelled"
        elif workflow.is_completed():
            case.status, case.closed_at = "completed", now
            events = [*events, PendingEvent(CASE_COMPLETED, "engine")]
        closing = self._incidents_closing(conn, case, cause) if case.status != "running" and not new_case else []
        events = [*events, *closing]
        # An incident holding the case's timers keeps them from the scheduler (engine.cases.incidents),
        # but not its due date: the breach is still recorded and told when the date passes.
        timer_due = None if case.timer_incident_id else runtime.next_timer_due(workflow)
        case.next_timer_at = _earliest(timer_due, self._sla.wake_at(case))
        if cause.type in (CASE_STARTED, TASK_COMPLETED):  # the only causes that bring new applicant data
            self._index_applicant(case, workflow)
        if self.before_events_written is not None:
            self.before_events_written(case)
        self._transaction.start_writing(conn, case.id, read_version)
        for resolved in closing:
            payload = resolved.payload
            incidents.resolve(
                conn, payload["incident_id"], now, resolved.actor, payload["resolution"], payload["reason"]
            )
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
        # Told in the same transaction: a breach exists only with its notices.
        if any(e.type == CASE_OVERDUE for group in [*(g for g, _s in earlier or []), events] for e in group):
            notices.queue(conn, case, "sla_breach", now, self._notifications, self._catalogue)
        ready = runtime.ready_tasks(workflow) if case.status == "running" else []
        projections.sync_inbox(conn, case, ready_before, ready, now, completed_task)
        waiting = projections.sync_service_jobs(conn, case, waiting_before, workflow, now)
        if case.status == "running" and plain_json:
            self._transaction.after_commit(
                conn,
                partial(self.workflows.put, case.id, self._cache_key(case), CachedWorkflow(workflow, ready, waiting)),
            )
        opened = tuple(OpenTask(t.id, t.element_id, t.name, t.lane) for t in ready)
        waiting_before_ids = {task.task_id for task in waiting_before}
        queued_call = any(task.task_id not in waiting_before_ids for task in waiting)
        wake_at = now if queued_call else case.next_timer_at if case.status == "running" else None
        return opened, wake_at

    def _index_applicant(self, case: CaseRecord, workflow) -> None:
        """The applicant's search keys from the case as received and its data now; a key the
        data no longer gives keeps its last value (a later form need not repeat the name)."""
        keys = self._case_index.applicant_keys(case.applicant, current_data(workflow))
        case.applicant_name = keys.name or case.applicant_name
        case.applicant_name_key = keys.name_key or case.applicant_name_key
        case.applicant_id_digest = keys.id_digest or case.applicant_id_digest
        case.applicant_phone = keys.phone or case.applicant_phone

    @staticmethod
    def _incidents_closing(conn: Connection, case: CaseRecord, cause: PendingEvent) -> list[PendingEvent]:
        """A case that closes resolves its open incidents (cancelled, or completed after all):
        their events (the rows are written once the command writes)."""
        cancelled = cause.type == CASE_CANCELLED
        resolution = incidents.CANCELLED if cancelled else incidents.CASE_CLOSED
        reason = cause.payload.get("reason") if cancelled else None
        case.timer_incident_id = None
        return [
            PendingEvent(
                INCIDENT_RESOLVED,
                cause.actor,
                {"incident_id": incident_id, "resolution": resolution, "reason": reason},
            )
            for incident_id in incidents.open_ids(conn, case.id)
        ]

    @staticmethod
    def _chain(case: CaseRecord, events: list[PendingEvent], now: datetime) -> list[dict]:
        rows = chain_events(
            case.id,
            str(uuid.uuid4()),
            events,
            occurred_at=now,
            after_seq=case.last_event_seq,
            after_hash=case.last_event_hash,
            state_hash=case.state_hash,
        )
        case.last_event_seq, case.last_event_hash = rows[-1]["seq"], rows[-1]["hash"]
        return rows

    @staticmethod
    def _open_task_summaries(tasks: list[TaskRecord]) -> tuple[OpenTask, ...]:
        return tuple(OpenTask(t.id, t.element_id, t.name, t.lane) for t in tasks)


def _earliest(*moments: datetime | None) -> datetime | None:
    present = [moment for moment in moments if moment is not None]
    return min(present) if present else None
