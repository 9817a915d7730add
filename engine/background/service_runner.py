"""The worker side of asynchronous service tasks: claim a due job, call its operator outside any
transaction, and record the outcome with a command (``RecordServiceOutcome``).

A retryable failure with attempts left puts the job back with a backoff (the BPMN ``retry``
element's ``backoff_base`` ** attempt seconds): a retry is a re-scheduled job, never a sleep.
A failure without attempts left, or one that must not be retried (an open circuit breaker, a
refusal), is recorded and thrown as the task's BPMN error. The same runner serves the embedded
scheduler (``submit_due`` into its thread pool), Celery workers (``run`` per job) and tests
(``run_due``, one after the other in the calling thread).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Executor
from datetime import timedelta
from typing import Any

from engine import commands as cmd
from engine.background.backoff import Backoff
from engine.errors import Conflict, EngineError, real_interrupt
from engine.services import OPERATOR_ERROR, ServiceAnswer, ServiceCall, ServiceFailure, backoff_seconds
from engine.storage import jobs
from engine.storage.db import read_only, storage_unavailable

log = logging.getLogger("onestop.services")
# Another command may change the case between the call and the recording of its answer
# (a clerk's note, a timer): the recording is tried again this many times.
RECORD_TRIES = 5


class ServiceJobRunner:
    def __init__(self, engine, *, lease: timedelta = timedelta(seconds=60), actor: str = "worker") -> None:
        self.engine = engine
        self.lease = lease
        self.actor = actor
        self._in_flight: set[int] = set()
        self._lock = threading.Lock()
        # Jobs whose attempt failed outside the agency call (the database, a bug): they wait
        # here, longer after each failure, instead of being taken again at every pass.
        self.backoff = Backoff(first=1.0, maximum=300.0)

    # ------------------------------------------------------------------ finding work
    def due(self, limit: int) -> list[int]:
        with read_only(self.engine.db).connect() as conn:
            ids = jobs.due_ids(conn, self.engine.clock.now(), limit + len(self.backoff))
        return [job_id for job_id in ids if not self.backoff.waiting(job_id)][:limit]

    def next_due_at(self):
        with read_only(self.engine.db).connect() as conn:
            return jobs.next_due_at(conn)

    def run_due(self, limit: int = 100) -> dict[str, int]:
        """Run every due job in this thread; counts of outcomes."""
        counts: dict[str, int] = {}
        for job_id in self.due(limit):
            outcome = self.run_guarded(job_id)
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    def submit_due(self, executor: Executor, limit: int = 100) -> int:
        """Hand due jobs not already in progress here to ``executor``; returns how many."""
        submitted = 0
        for job_id in self.due(limit):
            with self._lock:
                if job_id in self._in_flight:
                    continue
                self._in_flight.add(job_id)
            executor.submit(self._run_in_flight, job_id)
            submitted += 1
        return submitted

    def _run_in_flight(self, job_id: int) -> None:
        try:
            self.run_guarded(job_id)
        finally:
            with self._lock:
                self._in_flight.discard(job_id)

    def run_guarded(self, job_id: int) -> str:
        """``run``, for a loop that goes on with the other jobs whatever happens to this one:
        a failure is logged and the job waits before it is taken again ('error')."""
        try:
            outcome = self.run(job_id)
        except BaseException as error:  # noqa: BLE001 - sorted below, never swallowed silently
            if real_interrupt(error):
                raise
            delay = self.backoff.failed(job_id)
            if storage_unavailable(error):
                self.engine.storage_health.failed(error)
                log.warning("service job %s: the database cannot be used now; next try in %.0f s", job_id, delay)
            else:
                log.error("service job %s failed; next try in %.0f s", job_id, delay, exc_info=error)
            return "error"
        self.backoff.succeeded(job_id)
        return outcome

    # ------------------------------------------------------------------ one job
    def run(self, job_id: int) -> str:
        """One attempt: 'answered', 'failed' (BPMN error thrown), 'retry', or 'skipped'."""
        with self.engine.db.begin() as conn:
            job = jobs.claim(conn, job_id, self.engine.clock.now(), self.lease)
        if job is None:
            return "skipped"  # not due, or another worker holds it
        started_at = self.engine.clock.now()
        try:
            answer = self._call(job)
        except ServiceFailure as failure:
            return self._failed(job, failure, started_at)
        attempt = self._attempt(job, started_at, outcome="answered")
        evidence = {
            **answer.evidence,
            "requested_at": self._first_start(job, started_at),
            "answered_at": attempt["finished_at"],
        }
        recorded = self._record(
            cmd.RecordServiceOutcome(job.id, attempt, result=answer.result, evidence=evidence, actor=self.actor)
        )
        return "answered" if recorded else "skipped"

    def _call(self, job: jobs.JobRecord) -> ServiceAnswer:
        operator = self.engine.operators.get(job.operation)
        if operator is None or not operator.asynchronous:
            raise ServiceFailure(OPERATOR_ERROR, f"operation '{job.operation}' is not registered", retryable=False)
        call = ServiceCall(
            job.id,
            job.case_id,
            job.task_id,
            job.element_id,
            job.operation,
            dict(job.params),
            job.attempts,
            job.idempotency_key,
        )
        try:
            answer = operator.call(call)
        except ServiceFailure:
            raise
        except BaseException as error:  # noqa: BLE001 - a connector bug: logged, and retried like an outage
            if real_interrupt(error):
                raise
            log.exception("service operation %s raised", job.operation)
            raise ServiceFailure(
                OPERATOR_ERROR, f"the operation failed unexpectedly ({type(error).__name__})", retryable=True
            ) from error
        if not isinstance(answer, ServiceAnswer):
            raise ServiceFailure(OPERATOR_ERROR, "the operation returned no ServiceAnswer", retryable=False)
        return answer

    def _failed(self, job: jobs.JobRecord, failure: ServiceFailure, started_at) -> str:
        attempt = self._attempt(job, started_at, outcome="failed", code=failure.code, message=failure.message)
        if failure.retryable and job.attempts < job.max_attempts:
            when = self.engine.clock.now() + timedelta(seconds=backoff_seconds(job.backoff_base, job.attempts))
            with self.engine.db.begin() as conn:
                jobs.retry_later(conn, job, when, attempt)
            log.info(
                "service job %s (%s) attempt %s failed: %s; next try at %s",
                job.id,
                job.operation,
                job.attempts,
                failure.code,
                when.isoformat(),
            )
            return "retry"
        log.warning(
            "service job %s (%s) failed for good after %s attempt(s): %s",
            job.id,
            job.operation,
            job.attempts,
            failure.code,
        )
        evidence = {
            **failure.evidence,
            "requested_at": self._first_start(job, started_at),
            "answered_at": attempt["finished_at"],
        }
        error = {
            "code": failure.code,
            "message": failure.message,
            "failed_at": attempt["finished_at"],
            **({"agency": failure.evidence["agency"]} if "agency" in failure.evidence else {}),
        }
        recorded = self._record(
            cmd.RecordServiceOutcome(job.id, attempt, error=error, evidence=evidence, actor=self.actor)
        )
        return "failed" if recorded else "skipped"

    def _record(self, command: cmd.RecordServiceOutcome) -> bool:
        for _ in range(RECORD_TRIES):
            try:
                return self.engine.handle(command) is not None
            except Conflict:
                continue  # another command changed the case meanwhile: apply to the new state
            except EngineError as error:  # the case fails on the answer: an incident holds the job
                incident = error.details.get("incident_id")
                log.warning(
                    "service job %s: the case failed on the answer (incident %s): %s",
                    command.job_id,
                    incident,
                    error.message,
                )
                return False
        return False  # still racing: the lease brings the job back, the agency answers it again

    def _attempt(self, job: jobs.JobRecord, started_at, **details: Any) -> dict[str, Any]:
        return {
            "attempt": job.attempts,
            "started_at": started_at.isoformat(),
            "finished_at": self.engine.clock.now().isoformat(),
            **details,
        }

    @staticmethod
    def _first_start(job: jobs.JobRecord, started_at) -> str:
        return job.attempt_log[0]["started_at"] if job.attempt_log else started_at.isoformat()
