"""The commands the background sends, which nobody waits for: fire a case's due timers, record an
agency's answer for a waiting service task. Their failures become incidents (engine.cases.incidents),
and ``RetryIncident`` does the held work again."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.exc import IntegrityError

from engine import commands as cmd
from engine.cases.incidents import IncidentCommands
from engine.cases.inputs import ensure_json, ensure_object
from engine.errors import Conflict, ProcedureFailed
from engine.events import INCIDENT_RESOLVED, SERVICE_RESULT_RECORDED, TIMERS_FIRED, PendingEvent
from engine.results import CaseChanged
from engine.storage import incidents, jobs, store
from engine.storage.db import read_only
from engine.storage.incidents import IncidentRecord

log = logging.getLogger("onestop.incidents")
# A firing that began this long ago at the case's present version never ended: its process was
# stopped from outside. Far longer than any firing that runs (the sandbox stops a script after
# seconds of CPU, a worker is killed after a minute), so a slow firing is never taken for one.
INTERRUPTED_AFTER = timedelta(minutes=5)


class AutomaticCommands(IncidentCommands):
    # ------------------------------------------------------------------ timers
    def fire_due_timers(self, command: cmd.FireDueTimers) -> CaseChanged | None:
        """Wake a case whose timer is due. Returns None (and records nothing) if none is due.

        The case row is locked and its version checked, so however many schedulers or workers
        race on one case, one of them fires its timers and the others find nothing due.
        The scheduler also wakes a case at its due date while its SLA clock runs: the command
        then records the breach and queues the notification policy's messages in the outbox,
        in the same transaction (``CaseChanges._persist``), whether or not a diagram timer fired.
        A firing that fails holds the case's timers with an incident; so does one that began and
        never ended (its process was killed in the middle: engine.storage.incidents.FiringAttempt),
        instead of being run again by the next scheduler.
        """
        case_id, actor = command.case_id, command.actor
        begun = self._begin_firing(case_id)
        if begun is False:
            return None  # another scheduler or worker is firing this case now
        if isinstance(begun, datetime):
            return self.failures_become_incidents(incidents.TIMER, case_id, actor, partial(_interrupted, begun))
        try:
            return self.failures_become_incidents(
                incidents.TIMER,
                case_id,
                actor,
                partial(self._transaction.retry_stale_reads, partial(self._fire_due_timers, case_id, actor)),
            )
        finally:
            self._end_firing(case_id)

    def _begin_firing(self, case_id: str) -> bool | datetime:
        """Commit the mark of a firing of this case before its work. True: begun. False: another
        firing of the case is under way (or the case is closed). A datetime: when a firing began
        that never ended; its mark is removed and the caller records the incident."""
        now = self._clock.now()
        try:
            with self._transaction() as conn:
                case = store.load_case(conn, case_id)
                if case.status != "running":
                    return False
                started = incidents.firing_started(conn, case_id)
                if started is not None and started[0] == case.version:  # nothing committed since it began
                    if now - started[1] < INTERRUPTED_AFTER:
                        return False
                    incidents.end_firing(conn, case_id)
                    return started[1]
                incidents.start_firing(conn, case_id, case.version, now)
                return True
        except IntegrityError:
            return False  # another process wrote its mark at the same moment

    def _end_firing(self, case_id: str) -> None:
        try:
            with self._transaction() as conn:
                incidents.end_firing(conn, case_id)
        except Exception:  # noqa: BLE001 - the firing's own outcome matters more; its mark is superseded
            # A mark left behind holds the case's version of the time: once the firing's changes
            # are committed the version has moved on and the mark no longer counts.
            log.warning("case %s: the end of its firing could not be recorded", case_id, exc_info=True)

    def _fire_due_timers(
        self, case_id: str, actor: str, incident: IncidentRecord | None = None, reason: str | None = None
    ) -> CaseChanged | None:
        with self._transaction(write_late=True) as conn:
            case = self._load_running_case(conn, case_id)
            now = self._clock.now()
            resolved = []
            if incident is not None:  # a retry: the incident holds the timers, whenever they were due
                if case.timer_incident_id != incident.id:
                    raise Conflict(f"Incident {incident.id} no longer holds the case's timers", case_id=case.id)
                resolved = self._resolution(incident, actor, reason)
                payload = {"due": None, "incident_id": incident.id}
            elif case.next_timer_at is None or case.next_timer_at >= now:
                return None  # SpiffWorkflow fires a timer only once its due time is strictly past
            else:
                payload = {"due": case.next_timer_at.isoformat()}
            definition = self._deployments.get(conn, case.definition_id)
            event = PendingEvent(TIMERS_FIRED, actor, payload)
            changed = self._change_case(conn, case, definition, event, extra_events=resolved)
            if incident is not None:  # written after the case: a command that writes late writes nothing before
                incidents.resolve(conn, incident.id, now, actor, incidents.RETRIED, reason)
            return changed

    # ------------------------------------------------------------------ agency answers
    def record_service_outcome(self, command: cmd.RecordServiceOutcome) -> CaseChanged | None:
        """Record a worker's answer as the cause of a command that completes the waiting task
        (or throws its BPMN error) and closes the job, once: a job already closed is left alone.
        An answer the case fails on (the task's script, the next steps) holds the job with an
        incident, which keeps the answer to apply it again when retried."""
        with read_only(self._db).connect() as conn:
            job = jobs.get(conn, command.job_id)
        if job is None or job.status not in jobs.OPEN:
            return None
        outcome = {
            "attempt": command.attempt,
            "result": command.result,
            "error": command.error,
            "evidence": command.evidence,
            "actor": command.actor,
        }
        return self.failures_become_incidents(
            incidents.SERVICE_RESULT,
            job.case_id,
            command.actor,
            partial(self._record_service_outcome, command),
            job_id=job.id,
            retry_payload=outcome,
        )

    def _record_service_outcome(
        self, command: cmd.RecordServiceOutcome, incident: IncidentRecord | None = None, reason: str | None = None
    ) -> CaseChanged | None:
        with self._transaction() as conn:
            job = jobs.get(conn, command.job_id)
            held = incident is not None and job is not None and job.status == jobs.HELD
            if job is None or not (held or job.status in jobs.OPEN):
                return None
            # The case row first, as every command locks it, then the job: no lock cycle.
            case = store.load_case(conn, job.case_id)
            job = jobs.get(conn, command.job_id, for_update=True)
            now = self._clock.now()
            if not (job.status in jobs.OPEN or (held and job.status == jobs.HELD)):
                return None
            if case.status != "running":
                jobs.finish(conn, job.id, "cancelled", now)
                return None
            attempts = [*job.attempt_log, command.attempt]
            payload = {
                "task_id": job.task_id,
                "job_id": job.id,
                "operation": job.operation,
                "params": job.params,
                **ensure_object(command.evidence, "evidence"),
                "attempts": attempts,
            }
            if command.error is not None:
                payload["error"] = {**command.error, "operation": job.operation, "attempts": len(attempts)}
            else:
                payload["result"] = ensure_json(command.result, "result")
            jobs.finish(
                conn,
                job.id,
                "failed" if command.error is not None else "done",
                now,
                error=command.error["code"] if command.error is not None else None,
            )
            resolved = self._resolution(incident, command.actor, reason) if incident is not None else []
            event = PendingEvent(SERVICE_RESULT_RECORDED, command.actor, payload, element_id=job.element_id)
            definition = self._deployments.get(conn, case.definition_id)
            changed = self._change_case(conn, case, definition, event, extra_events=resolved)
            if incident is not None:
                incidents.resolve(conn, incident.id, now, command.actor, incidents.RETRIED, reason)
            return changed

    # ------------------------------------------------------------------ retrying
    def retry_incident(self, command: cmd.RetryIncident) -> CaseChanged | None:
        """Do the held work again (see RetryIncident); variables first, if given."""
        incident = self.open_incident(command.incident_id)
        data, reason = self.retry_inputs(command)
        if data:
            self.change_variables(incident, data, reason, command.actor)
        if incident.trigger == incidents.TIMER:
            work = partial(
                self._transaction.retry_stale_reads,
                partial(self._fire_due_timers, incident.case_id, command.actor, incident, reason),
            )
        else:
            outcome = dict(incident.retry_payload or {})
            outcome.pop("actor", None)
            retried = cmd.RecordServiceOutcome(incident.job_id, actor=command.actor, **outcome)
            work = partial(self._record_service_outcome, retried, incident, reason)
        return self.failures_become_incidents(
            incident.trigger,
            incident.case_id,
            command.actor,
            work,
            incident=incident,
            job_id=incident.job_id,
            retry_payload=incident.retry_payload,
        )

    @staticmethod
    def _resolution(incident: IncidentRecord, actor: str, reason: str | None) -> list[PendingEvent]:
        """The event of ``incident`` resolved by a retry, for the retry's command."""
        return [
            PendingEvent(
                INCIDENT_RESOLVED,
                actor,
                {"incident_id": incident.id, "resolution": incidents.RETRIED, "reason": reason},
                element_id=incident.element_id,
            )
        ]


def _interrupted(started_at: datetime) -> None:
    raise ProcedureFailed(
        f"The firing of this case's timers that began at {started_at:%Y-%m-%d %H:%M:%S} UTC never ended: its "
        "process was stopped from outside (a script stuck in one long operation, a worker timeout). It is not "
        "run again by itself; retry it after a fix, or cancel the case.",
        reason=incidents.INTERRUPTED,
        element_id=None,
    )
