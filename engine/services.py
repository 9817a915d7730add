"""Asynchronous service operations: the contract between the engine and a domain pack's connectors.

A service task whose operator is registered as asynchronous does not call anything while the
case's command runs. The command ends with the task waiting (STARTED) and a row in
``service_jobs``; a worker later hands the operator a ``ServiceCall`` outside any transaction.
The operator answers with a ``ServiceAnswer`` (the result for the task's result variable and
the evidence to record) or raises ``ServiceFailure`` with a code the diagram's error boundary
event catches. The engine decides about retries: a retryable failure is tried again after the
backoff the BPMN ``retry`` element asks for, as long as attempts remain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

# When the BPMN has no ``spiffworkflow:retry`` element: two more tries, 2 s then 4 s later.
DEFAULT_RETRIES = 2
DEFAULT_BACKOFF_BASE = 2.0
# A failure the operator did not describe (a bug in a connector): retried like an outage.
OPERATOR_ERROR = "service_error"


@dataclass(frozen=True)
class ServiceCall:
    """One attempt at one waiting service task, as the worker hands it to the operator."""

    job_id: int
    case_id: str
    task_id: str
    element_id: str | None
    operation: str
    params: dict[str, Any]
    attempt: int
    idempotency_key: str


@dataclass(frozen=True)
class ServiceAnswer:
    """What the operator answered: ``result`` goes to the task's result variable, ``evidence``
    (who was asked, what was sent, what came back, when) into the case's history."""

    result: Any
    evidence: dict[str, Any] = field(default_factory=dict)


class ServiceFailure(Exception):
    """The operation did not get a usable answer. ``code`` becomes the BPMN error code when no
    attempt is left (or at once when ``retryable`` is False)."""

    def __init__(self, code: str, message: str, *, retryable: bool, evidence: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
        self.evidence = evidence or {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "retryable": self.retryable}


def idempotency_key(case_id: str, task_id: str, operation: str, params: dict[str, Any]) -> str:
    """The same for every attempt at one task (so a retried call is recognised by the agency),
    different for another task or other data; it reveals nothing of the data."""
    content = json.dumps([case_id, task_id, operation, params], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def backoff_seconds(backoff_base: float, attempt: int) -> float:
    """Delay before the try after ``attempt`` (1, 2, ...): base ** attempt, e.g. 2, 4, 8 s."""
    return float(backoff_base) ** attempt
