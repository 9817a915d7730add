"""Incidents: when a case's automatic work fails, the case is held, not retried in a loop.

The scheduler and the workers send two commands nobody waits for: fire a case's due timers,
record an agency's answer. When one fails for a reason the diagram does not handle (a script or
condition error, a runaway script, the step limit, any exception, ``BaseException`` included),
its transaction is rolled back and ``failures_become_incidents`` records an incident in a
transaction of its own (engine.storage.incidents: the row, the ``incident_raised`` event, the
hold on the case's timers or on the service job). The case stays where it was; the other cases go
on. The failure is answered as ``ProcedureFailed`` naming the element and the incident.

What is not the case's fault records nothing: a lost race (Conflict), a case that is gone, and a
database that cannot be used now (``storage_unavailable``: the caller backs off and tries again).

A supervisor resolves an incident with ``RetryIncident`` (optionally changing variables first,
with a reason, as a ``variables_changed`` event) or ``CancelIncident`` (the case is cancelled).
A retry that fails again keeps the incident open with one more attempt.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any, Callable, TypeVar

from engine import commands as cmd
from engine.cases.changes import CaseChanges
from engine.cases.inputs import ensure_json, ensure_object
from engine.errors import Conflict, EngineError, InvalidInput, NotAllowed, NotFound, ProcedureFailed, real_interrupt
from engine.events import INCIDENT_RAISED, VARIABLES_CHANGED, PendingEvent
from engine.results import CaseChanged
from engine.storage import incidents, jobs, store
from engine.storage.db import read_only, storage_unavailable
from engine.storage.incidents import IncidentRecord

log = logging.getLogger("onestop.incidents")
T = TypeVar("T")

# Failures that are not the case's: the caller sees them as they are.
_NOT_THE_CASE = (Conflict, NotFound, InvalidInput, NotAllowed)
RECORD_TRIES = 3
MAX_REASON = 2000


def is_case_failure(error: BaseException) -> bool:
    """Whether a failure of a case's command is the case's own (an incident) or not."""
    return not (isinstance(error, _NOT_THE_CASE) or storage_unavailable(error) or real_interrupt(error))


class IncidentCommands(CaseChanges):
    # ------------------------------------------------------------------ the boundary
    def failures_become_incidents(
        self,
        trigger: str,
        case_id: str,
        actor: str,
        work: Callable[[], T],
        *,
        incident: IncidentRecord | None = None,
        job_id: int | None = None,
        retry_payload: dict | None = None,
    ) -> T:
        """Run ``work`` (one command on the case); if it fails as the case's own failure, record
        the incident (or one more attempt of ``incident``) and raise ProcedureFailed naming it."""
        try:
            return work()
        except BaseException as error:  # noqa: BLE001 - every failure is sorted, none is swallowed
            if not is_case_failure(error):
                raise
            incident_id = self._record_incident(trigger, case_id, actor, error, incident, job_id, retry_payload)
            if incident_id is None:
                raise  # the case closed meanwhile: nothing to hold
            failure = _failure_of(error)
            raise ProcedureFailed(
                failure["message"],
                element_id=failure["element_id"],
                element_name=failure["element_name"],
                error_type=failure["error_type"],
                reason=failure["kind"],
                incident_id=incident_id,
                case_id=case_id,
            ) from error

    def _record_incident(self, trigger, case_id, actor, error, incident, job_id, retry_payload) -> int | None:
        failure = _failure_of(error)
        failure["message"] = self._mask_text(failure["message"])
        log.warning(
            "case %s: %s failed at %s (%s): %s",
            case_id,
            trigger,
            failure["element_id"] or "an unknown element",
            failure["kind"],
            failure["message"],
            exc_info=error if failure["kind"] == incidents.INTERNAL_ERROR else None,
        )
        for attempt in range(RECORD_TRIES):
            try:
                return self._write_incident(trigger, case_id, actor, failure, incident, job_id, retry_payload)
            except Conflict:
                if attempt == RECORD_TRIES - 1:
                    raise
        return None

    def _write_incident(self, trigger, case_id, actor, failure, incident, job_id, retry_payload) -> int | None:
        with self._transaction() as conn:
            case = store.load_case(conn, case_id)
            if case.status != "running":
                return None
            now = self._clock.now()
            described = {key: failure[key] for key in ("kind", "element_id", "element_name", "error_type", "message")}
            if incident is None:
                incident_id = incidents.insert(
                    conn,
                    now,
                    case_id=case.id,
                    procedure_key=case.procedure_key,
                    definition_id=case.definition_id,
                    trigger=trigger,
                    job_id=job_id,
                    retry_payload=retry_payload,
                    **described,
                )
                attempts = 1
            else:
                incident_id = incident.id
                attempts = incidents.failed_again(conn, incident.id, now, **described)
            if job_id is not None:
                jobs.hold(conn, job_id, failure["message"])
            event = PendingEvent(
                INCIDENT_RAISED,
                actor,
                {
                    "incident_id": incident_id,
                    "trigger": trigger,
                    "attempt": attempts,
                    "kind": failure["kind"],
                    "error_type": failure["error_type"],
                    "message": failure["message"],
                },
                element_id=failure["element_id"],
            )
            # A command of its own: a timer incident holds the case's timers in its workflow
            # (engine.workflow.runtime), so that replay holds them too.
            self._change_case(conn, case, self._deployments.get(conn, case.definition_id), event)
            return incident_id

    def _mask_text(self, text: str) -> str:
        try:
            return self._masker(text)
        except Exception:  # a masker that fails must not lose the incident: keep only the kind
            log.exception("masking an incident's message failed")
            return "(the message could not be masked and is not kept)"

    # ------------------------------------------------------------------ supervisors' commands
    def open_incident(self, incident_id: int) -> IncidentRecord:
        with read_only(self._db).connect() as conn:
            incident = incidents.get(conn, incident_id)
        if incident is None:
            raise NotFound(f"Incident {incident_id} does not exist", incident_id=incident_id)
        if incident.status != incidents.OPEN:
            raise Conflict(f"Incident {incident_id} is already {incident.status}", incident_id=incident_id)
        return incident

    @staticmethod
    def retry_inputs(command: cmd.RetryIncident) -> tuple[dict[str, Any] | None, str | None]:
        """The retry's variables (None: none) and reason, checked: changing variables needs one."""
        reason = (command.reason or "").strip()[:MAX_REASON] or None
        if command.data is None:
            return None, reason
        data = ensure_json(ensure_object(command.data, "data"), "data")
        if data and reason is None:
            raise InvalidInput(
                "A reason is required to change a case's variables",
                errors=[{"field": "reason", "message": "must not be empty when data is given"}],
            )
        return data or None, reason

    def change_variables(self, incident: IncidentRecord, data: dict[str, Any], reason: str, actor: str) -> None:
        event = PendingEvent(VARIABLES_CHANGED, actor, {"data": data, "reason": reason, "incident_id": incident.id})

        def attempt() -> CaseChanged:
            with self._transaction(write_late=True) as conn:
                case = self._load_running_case(conn, incident.case_id)
                return self._change_case(conn, case, self._deployments.get(conn, case.definition_id), event)

        self._transaction.retry_stale_reads(attempt)


def _failure_of(error: BaseException) -> dict[str, Any]:
    """The incident's description of a failure: kind, element, error type, message."""
    if isinstance(error, EngineError):
        details = error.details
        return {
            "kind": details.get("reason") or incidents.INTERNAL_ERROR,
            "element_id": details.get("element_id"),
            "element_name": details.get("element_name"),
            "error_type": details.get("error_type") or type(error).__name__,
            "message": error.message,
        }
    # Not the diagram's: a bug or an exhausted resource. The innermost engine frame says where.
    where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    location = f" (in {where.name}, {where.filename.rsplit('/', 1)[-1]}:{where.lineno})" if where else ""
    return {
        "kind": incidents.INTERNAL_ERROR,
        "element_id": None,
        "element_name": None,
        "error_type": type(error).__name__,
        "message": f"{type(error).__name__}: {error}{location}",
    }
