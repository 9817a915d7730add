"""``CaseEngine``: the one object the outside world (api/, the CLI, workers, tests) talks to.

Commands go through ``handle`` (one transaction each); reads through ``read()`` sessions and
the helpers below. The engine is configured with registries instead of importing a domain.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from typing import Any, Callable, Iterable, Iterator, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.orm import Session

from engine import commands as cmd
from engine.access import CaseAccess
from engine.accounts import worker_groups
from engine.audit import replay, verification
from engine.audit.documents import attached, read_checked
from engine.background.backoff import StorageHealth
from engine.background.service_runner import ServiceJobRunner
from engine.cases import moving
from engine.cases.documents import DocumentRules
from engine.cases.handlers import CommandHandlers
from engine.cases.inputs import DataLimits
from engine.clock import Clock, SystemClock, install
from engine.counter import CounterQueue
from engine.definitions.deployments import Deployments
from engine.definitions.findings import Finding
from engine.definitions.validation import ValidatedBundle, validate_bundle
from engine.errors import Conflict, NotFound
from engine.registries import (
    CaseIndex,
    FormFormats,
    NotificationPolicy,
    ProcedureCatalogue,
    QueueServices,
    ScriptFunctions,
    ServiceOperators,
)
from engine.storage import queries
from engine.storage.db import create_db_engine, create_session_factory, storage_unavailable
from engine.storage.documents import DocumentStore
from engine.storage.models import Case, CaseDocument
from engine.storage.offices import OfficeDirectory
from engine.storage.place_models import DEFAULT_OFFICE
from engine.workflow.describe import describe_state
from engine.workflow.gateways import LiveServiceGateway
from engine.workflow.sandbox import SandboxedScriptEngine

DEFAULT_CHANNELS = ("counter", "online", "home_visit")
# Replay runs scripts with this many times the live time limit (see replay_script_engine).
REPLAY_TIMEOUT_FACTOR = 10


def default_case_number(year: int, number: int, office: str = DEFAULT_OFFICE) -> str:
    """ "2026-000123" at the default office (as before offices), "2026-TN05-000123" at another."""
    return f"{year}-{number:06d}" if office == DEFAULT_OFFICE else f"{year}-{office}-{number:06d}"


class CaseEngine:
    def __init__(
        self,
        database_url: str,
        *,
        clock: Clock | None = None,
        script_functions: ScriptFunctions | None = None,
        operators: ServiceOperators | None = None,
        catalogue: ProcedureCatalogue | None = None,
        notifications: NotificationPolicy | None = None,
        form_formats: FormFormats | None = None,
        case_index: CaseIndex | None = None,
        script_timeout_seconds: float = 1.0,
        channels: tuple[str, ...] = DEFAULT_CHANNELS,
        local_timezone: str = "UTC",
        case_number_format: Callable[[int, int, str], str] = default_case_number,
        service_job_lease_seconds: float = 60.0,
        documents: DocumentStore | None = None,
        document_rules: DocumentRules | None = None,
        groups: Iterable[str] | None = None,
        default_group: str | None = None,
        queue_services: QueueServices | None = None,
        step_limit: int | None = 500,
        mask_text: Callable[[str], str] | None = None,
        data_limits: DataLimits | None = None,
    ) -> None:
        """``groups``: the office's groups (BPMN lanes) a deploy checks lanes against, besides those
        its users work (None: lanes are not checked); ``default_group``: the group that works tasks
        drawn in no lane (None: a deploy needs every such task in a lane)."""
        install()
        self.database_url = database_url
        self.clock = clock or SystemClock()
        self.script_functions = script_functions or ScriptFunctions()
        self.operators = operators or ServiceOperators()
        self.catalogue = catalogue or ProcedureCatalogue()
        self.notifications = notifications or NotificationPolicy()
        self.form_formats = form_formats or FormFormats()
        # Who a case's applicant is, for the clerks' search (the search normalises queries with it).
        self.case_index = case_index or CaseIndex()
        # Called with (command, result) after every command that committed; the embedded
        # scheduler listens here to wake up early when a sooner timer may have appeared.
        self.command_listeners: list[Callable[[Any, Any], None]] = []
        # name -> callable returning {"status": "ok" | "down" | "not_configured", ...}; components
        # such as the scheduler or the agency gateway register theirs.
        self.health_checks: dict[str, Callable[[], dict]] = {}
        # name -> callable returning what this process adds to its heartbeat in the shared record
        # (engine.background.heartbeat), e.g. the domain's agency circuits.
        self.heartbeat_details: dict[str, Callable[[], dict]] = {}
        # Parts of a domain pack the host wires in (e.g. "agencies": the agency connectors), for
        # the host's own use; the engine never looks inside.
        self.components: dict[str, Any] = {}
        self.script_timeout_seconds = script_timeout_seconds
        # The bytes of the files attached to cases (engine.storage.documents); None: no files.
        self.documents = documents
        # Builds an engine like this one in a new process (picklable, e.g. a module function with
        # the settings): verification of many cases runs in such workers. Set by bootstrap.py.
        self.worker_factory: Callable[[], CaseEngine] | None = None
        self.document_rules = document_rules or DocumentRules()
        if documents is not None:
            self.health_checks["document_store"] = documents.health
        # Automatic steps one run of the engine may take (a loop without a wait state stops there).
        self.step_limit = step_limit
        self.db = create_db_engine(database_url)
        # What this process saw of the database lately (a full disk...): the API answers 503 and
        # the background backs off while it fails; the health check reports it.
        self.storage_health = StorageHealth()
        self._sessions = create_session_factory(self.db)
        self._read_sessions = create_session_factory(self.db, read_only=True)
        self.default_group = default_group or None
        # The offices' places (their calendars), read once per office (engine.storage.offices).
        self.offices = OfficeDirectory(self.db)
        self.deployments = Deployments(
            partial(
                validate_bundle,
                operators=self.operators.names(),
                script_functions=self.script_functions.names(),
                asynchronous_operators=self.operators.asynchronous_names(),
                notice_kinds=self.notifications.notice_kinds(),
                default_group=self.default_group,
                rehearse_with=lambda: self.script_engine(LiveServiceGateway(self.operators)),
                now=self.clock.now,
                catalogue=self.catalogue,
            ),
            groups=groups,
        )
        self.handlers = CommandHandlers(
            self.db,
            self._sessions,
            self.deployments,
            self.clock,
            self.script_engine,
            self.operators,
            self.catalogue,
            notifications=self.notifications,
            channels=channels,
            local_timezone=ZoneInfo(local_timezone),
            case_number_format=case_number_format,
            form_formats=self.form_formats,
            documents=documents,
            document_rules=self.document_rules,
            case_index=self.case_index,
            mask_text=mask_text,
            data_limits=data_limits,
            offices=self.offices,
        )
        self._dispatch: dict[type, Callable[[Any], Any]] = {
            cmd.DeployDefinition: self.handlers.deploy,
            cmd.StartCase: self.handlers.start_case,
            cmd.ClaimTask: self.handlers.claim_task,
            cmd.UnclaimTask: self.handlers.unclaim_task,
            cmd.CompleteTask: self.handlers.complete_task,
            cmd.DeliverMessage: self.handlers.deliver_message,
            cmd.AttachDocuments: self.handlers.attach_documents,
            cmd.CancelCase: self.handlers.cancel_case,
            cmd.RecordSupplement: self.handlers.record_supplement,
            cmd.AssignOfficer: self.handlers.assign_officer,
            cmd.AssignTask: self.handlers.assign_task,
            cmd.AddNote: self.handlers.add_note,
            cmd.SaveTaskDraft: self.handlers.save_task_draft,
            cmd.FireDueTimers: self.handlers.fire_due_timers,
            cmd.RecordRating: self.handlers.record_rating,
            cmd.RescheduleCase: self.handlers.reschedule_case,
            cmd.TransferCase: self.handlers.transfer_case,
            cmd.RecordServiceOutcome: self.handlers.record_service_outcome,
            cmd.MoveCase: self.handlers.move_case,
            cmd.MoveCases: self.handlers.move_cases,
            cmd.RetryIncident: self.handlers.retry_incident,
            cmd.CancelIncident: self.handlers.cancel_incident,
        }
        # The counter queue (號碼牌): tickets, calls, service and waiting times.
        self.queue = CounterQueue(self.db, self.clock, queue_services or QueueServices(), ZoneInfo(local_timezone))
        # Performs waiting service tasks' calls: run by the embedded scheduler, Celery workers,
        # or directly with ``run_due_jobs``.
        self.service_jobs = ServiceJobRunner(self, lease=timedelta(seconds=service_job_lease_seconds))

    def script_engine(
        self, service_gateway, timeout_seconds: float | None = None, step_limit: int | None = None
    ) -> SandboxedScriptEngine:
        return SandboxedScriptEngine(
            self.script_functions,
            timeout_seconds=timeout_seconds or self.script_timeout_seconds,
            service_gateway=service_gateway,
            asynchronous=self.operators.is_asynchronous,
            step_limit=step_limit or self.step_limit,
        )

    def replay_script_engine(self, service_gateway) -> SandboxedScriptEngine:
        """For replay: every script already finished within the limits when its command ran, so a
        busy machine (or a limit lowered since) must not make replay fail where the live command
        passed. Generous limits still stop a script that a tampered history sends into a loop."""
        return self.script_engine(
            service_gateway,
            self.script_timeout_seconds * REPLAY_TIMEOUT_FACTOR,
            self.step_limit * REPLAY_TIMEOUT_FACTOR if self.step_limit else None,
        )

    # ------------------------------------------------------------------ commands
    def handle(self, command: Any) -> Any:
        try:
            result = self._dispatch[type(command)](command)
        except BaseException as error:
            if storage_unavailable(error):
                self.storage_health.failed(error)
            raise
        self.storage_health.succeeded()
        for listener in self.command_listeners:
            try:
                listener(command, result)
            except Exception:  # a listener must never undo or fail a committed command
                logging.getLogger("onestop.engine").exception("command listener failed")
        return result

    def run_due_jobs(self, limit: int = 100) -> dict[str, int]:
        """Perform every due service job now, in this thread, as a worker would (tests, CLI)."""
        return self.service_jobs.run_due(limit)

    def validate(self, files: Mapping[str, bytes], process_key: str | None = None) -> list[Finding]:
        return self.check_upload(files, process_key).findings

    def check_upload(self, files: Mapping[str, bytes], process_key: str | None = None) -> ValidatedBundle:
        """Everything a deploy checks (lanes against the office's and its users' groups, a case
        start rehearsed), without storing anything."""
        with self.read() as session:
            groups = worker_groups(session)
        return self.deployments.validate(files, process_key, worker_groups=groups)

    # ------------------------------------------------------------------ reads
    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read_sessions.begin() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction for writes outside the case commands (accounts, tokens, rate limits)."""
        with self._sessions.begin() as session:
            yield session

    def definition(self, definition_id: int):
        """The parsed definition version (from the cache after its first use)."""
        with self.read() as session:
            return self.deployments.get(session, definition_id)

    def preview_move(self, process_key: str, from_version: int, to_version: int) -> dict[str, Any]:
        """Which running cases of ``from_version`` could move to ``to_version`` (in memory; nothing
        changes), and which elements block the others."""
        with self.read() as session:
            return moving.preview_move(
                session,
                self.deployments,
                process_key,
                from_version,
                to_version,
                script_engine_factory=self.script_engine,
            )

    def case_state(
        self, case_id: str, at_seq: int | None = None, access: CaseAccess | None = None, task_id: str | None = None
    ) -> dict[str, Any]:
        """The case as it is (``at_seq`` None) or as it was after event ``at_seq``, by replay; only
        if ``access`` reaches it (None: the system); with ``task_id``, also the data of that open
        task (what its form starts from)."""
        with self.read() as session:
            case = queries.get_case(session, case_id, access)
            definition = self.deployments.get(session, case.definition_id)
            if at_seq is None:
                return describe_state(case.state, definition, case.last_event_seq, task_id=task_id)
            events = queries.case_events(session, case_id)
        if not 1 <= at_seq <= len(events):
            raise NotFound(f"Case {case.number} has no event {at_seq}", seq=at_seq, last_seq=len(events))
        if replay.anonymised(events):
            raise Conflict(
                f"Case {case.number} was anonymised: its earlier states cannot be replayed without the values "
                "it removed; its hash chain and signed proofs still prove its history",
                seq=at_seq,
            )
        result = replay.replay(
            case_id, events, definition, self.replay_script_engine, up_to_seq=at_seq, definitions=self.definition
        )
        return describe_state(result.state, result.definition or definition, at_seq, divergence=result.reason)

    def verify_case(self, case_id: str, access: CaseAccess | None = None) -> replay.Verification:
        """The hash chain, the replay, and the attached files against the SHA-256 in their events."""
        with self.read() as session:
            case = queries.get_case(session, case_id, access)
            events = queries.case_events(session, case_id)
            documents = queries.case_documents(session, case_id) if attached(events) else []
        return verification.verify_loaded(self, case, events, documents)

    def document(self, case_id: str, document_id: str, access: CaseAccess | None = None) -> tuple[CaseDocument, bytes]:
        """An attached file and its bytes (of a case ``access`` reaches), refused (Conflict) when
        they no longer match the SHA-256 recorded when the file was received."""
        with self.read() as session:
            queries.get_case(session, case_id, access)
            row = queries.case_document(session, case_id, document_id)
        content, problem = read_checked(self.documents, row)
        if problem:
            raise Conflict(f"The file {row.file_name!r} is not served: {problem}", document_id=row.id)
        return row, content

    def verify_all(
        self, batch_size: int = 200, workers: int | None = None, in_workers_from: int | None = None
    ) -> Iterator[replay.Verification]:
        """Every case, in the order of their ids. From ``in_workers_from`` cases (default:
        verification.PARALLEL_FROM_CASES) they are verified in ``workers`` processes (default: one
        per core), when the engine knows how to build its workers."""
        workers = workers or verification.worker_count()
        threshold = verification.PARALLEL_FROM_CASES if in_workers_from is None else in_workers_from
        with self.read() as session:
            many = queries.count_cases_up_to(session, threshold) >= threshold
        batches = self._case_id_batches(batch_size)
        if many and workers > 1 and self.worker_factory is not None:
            yield from verification.verify_in_workers(batches, self.worker_factory, workers)
            return
        for ids in batches:
            yield from verification.verify_batch(self, ids)

    def _case_id_batches(self, batch_size: int) -> Iterator[list[str]]:
        after = None
        while True:
            with self.read() as session:
                ids = queries.case_ids(session, after, batch_size)
            if not ids:
                return
            yield ids
            after = ids[-1]

    def index_applicants(self, batch_size: int = 200) -> int:
        """Give the cases that have no search keys yet (started before the search existed) the
        keys of their applicant, from the applicant as received and the case data now. Returns
        how many cases got keys. Only empty keys are filled: a command writes them otherwise."""
        indexed, after = 0, None
        while True:
            with self.read() as session:
                ids = queries.case_ids(session, after, batch_size)
            if not ids:
                return indexed
            for case_id in ids:
                indexed += self._index_applicant(case_id)
            after = ids[-1]

    def _index_applicant(self, case_id: str) -> int:
        with self.write() as session:
            case = queries.get_case(session, case_id)
            if case.applicant_name_key or case.applicant_id_digest or case.applicant_phone:
                return 0
            definition = self.deployments.get(session, case.definition_id)
            data = describe_state(case.state, definition, case.last_event_seq)["data"]
            keys = self.case_index.applicant_keys(case.applicant, data)
            if not (keys.name_key or keys.id_digest or keys.phone):
                return 0
            # A projection, not a change of the case: its version (and cached workflow) stay.
            written = session.execute(
                update(Case)
                .where(Case.id == case_id, Case.applicant_name_key.is_(None), Case.applicant_id_digest.is_(None))
                .values(
                    applicant_name=keys.name,
                    applicant_name_key=keys.name_key,
                    applicant_id_digest=keys.id_digest,
                    applicant_phone=keys.phone,
                )
                .execution_options(synchronize_session=False)
            )
            return written.rowcount

    def dispose(self) -> None:
        self.db.dispose()
