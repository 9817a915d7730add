"""One agency's gateway over HTTP (``requests``): timeout, circuit breaker, idempotency key,
and every way a call can go wrong turned into a ``ServiceFailure`` with a code for the BPMN.

Failure codes (the BPMN error codes an error boundary event may catch):
- ``agency_unavailable``: no connection, no answer within the timeout, 5xx or 429 (retried);
- ``agency_invalid_answer``: not JSON, the wrong content type, or not the expected fields (retried:
  a gateway in trouble often answers with an HTML error page);
- ``agency_refused``: the gateway refused the request (other 4xx), or the office would not send
  it (a missing or invalid parameter): retrying cannot help;
- ``agency_circuit_open``: the agency failed too often lately: no call was made.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import requests

from engine import ServiceAnswer, ServiceCall, ServiceFailure

from .breaker import CircuitBreaker
from .operations import Operation, answer_problem, request_body
from .settings import AGENCIES, AgencyEndpoint, AgencySettings

UNAVAILABLE, INVALID_ANSWER, REFUSED, CIRCUIT_OPEN = (
    "agency_unavailable",
    "agency_invalid_answer",
    "agency_refused",
    "agency_circuit_open",
)


class AgencyClient:
    def __init__(self, agency: str, endpoint: AgencyEndpoint, settings: AgencySettings) -> None:
        self.agency = agency
        self.name = AGENCIES[agency][1]
        self.endpoint = endpoint
        self.verify: str | bool = settings.ca_bundle or True
        self.breaker = CircuitBreaker(
            agency, failure_threshold=settings.breaker_failures, reset_seconds=settings.breaker_reset_seconds
        )
        self._local = threading.local()  # requests.Session is not documented as thread-safe

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            if self.endpoint.token:
                session.headers["Authorization"] = f"Bearer {self.endpoint.token}"
            session.cert = self.endpoint.client_cert
            session.verify = self.verify
        return session

    def perform(self, operation: Operation, call: ServiceCall) -> ServiceAnswer:
        body, problem = request_body(operation, call.params)
        evidence = {
            "agency": self.agency,
            "agency_name": self.name,
            "endpoint": f"POST {operation.path}",
            "request": body,
        }
        if problem is not None:
            raise ServiceFailure(REFUSED, f"{self.name}: not asked, {problem}", retryable=False, evidence=evidence)
        if not self.breaker.allow():
            raise ServiceFailure(
                CIRCUIT_OPEN,
                f"{self.name} failed {self.breaker.failure_threshold} times in a row: not called "
                f"for another {self.breaker.seconds_until_trial():.0f} s",
                retryable=False,
                evidence=evidence,
            )
        started = time.perf_counter()
        try:
            result, status = self._post(operation, body, call.idempotency_key)
        except ServiceFailure as failure:
            failure.evidence = {**evidence, **failure.evidence, "duration_ms": _since(started)}
            if failure.code == REFUSED:
                self.breaker.succeeded()  # the agency works; the request was wrong
            else:
                self.breaker.failed()
            raise
        self.breaker.succeeded()
        evidence.update(status=status, duration_ms=_since(started), agency_reference=result.get("reference"))
        return ServiceAnswer(result, evidence)

    def _post(self, operation: Operation, body: dict, key: str) -> tuple[dict, int]:
        timeout = self.endpoint.timeout_seconds
        try:
            response = self._session().post(
                self.endpoint.base_url + operation.path,
                json=body,
                timeout=timeout,
                headers={"Idempotency-Key": key, "Accept": "application/json"},
            )
        except requests.Timeout as error:
            raise ServiceFailure(
                UNAVAILABLE, f"{self.name} did not answer within {timeout:g} s", retryable=True
            ) from error
        except requests.RequestException as error:  # refused connection, DNS, TLS...
            raise ServiceFailure(
                UNAVAILABLE, f"{self.name} could not be reached ({type(error).__name__})", retryable=True
            ) from error
        return _read_answer(self.name, operation, response), response.status_code

    def health(self) -> dict[str, Any]:
        return {"base_url": self.endpoint.base_url, **self.breaker.describe()}


def _read_answer(name: str, operation: Operation, response: requests.Response) -> dict:
    status = response.status_code
    seen = {"status": status}
    if status >= 500 or status == 429:
        raise ServiceFailure(UNAVAILABLE, f"{name} answered HTTP {status}", retryable=True, evidence=seen)
    if status >= 400:
        raise ServiceFailure(REFUSED, f"{name} refused the request (HTTP {status})", retryable=False, evidence=seen)
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if content_type != "application/json":
        raise ServiceFailure(
            INVALID_ANSWER,
            f"{name} answered {content_type or 'without a content type'}, not JSON",
            retryable=True,
            evidence=seen,
        )
    try:
        answer = response.json()
    except ValueError as error:
        raise ServiceFailure(
            INVALID_ANSWER, f"{name} answered malformed JSON", retryable=True, evidence=seen
        ) from error
    problem = answer_problem(operation, answer)
    if problem is not None:
        raise ServiceFailure(INVALID_ANSWER, f"{name}: {problem}", retryable=True, evidence=seen)
    return {field: answer[field] for field in operation.answer}


def _since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
