"""The agency connectors against the simulator over real HTTP: answers, every kind of failure
and its code, the minimum data sent, idempotency keys, and the circuit breaker's three states."""

from __future__ import annotations

import time

import pytest

from engine import ServiceCall, ServiceFailure
from workflows.agencies import OPERATIONS, AgencyConnectors, AgencySettings
from workflows.agencies.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from workflows.agencies.simulator import records
from workflows.identifiers import valid_national_id

from ..conftest import AGENCY_TIMEOUT_SECONDS
from ..engine.helpers import VALID_ID
from .conftest import HOUSEHOLD


def call_of(operation: str, params: dict, key: str = "key-1", attempt: int = 1) -> ServiceCall:
    return ServiceCall(1, "case-1", "task-1", "check", operation, params, attempt, key)


@pytest.fixture
def connectors(agencies) -> AgencyConnectors:
    return AgencyConnectors(
        AgencySettings.all_at(agencies.url, timeout_seconds=AGENCY_TIMEOUT_SECONDS, breaker_failures=3)
    )


class BreakerClock:
    """Seconds as the test says they pass: the breaker's states never depend on how fast the
    machine runs the test."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def controlled_breaker(client, failures: int = 3, reset_seconds: float = 30.0) -> BreakerClock:
    clock = BreakerClock()
    client.breaker = CircuitBreaker(
        client.breaker.name, failure_threshold=failures, reset_seconds=reset_seconds, clock=clock
    )
    return clock


def perform(connectors, operation: str, params: dict, **kwargs):
    client = connectors.clients[OPERATIONS[operation].agency]
    return client.perform(OPERATIONS[operation], call_of(operation, params, **kwargs))


IDENTITY = "household_registration/identity_check"


def test_each_operation_answers_from_the_agency_records(connectors, agencies):
    answer = perform(connectors, IDENTITY, {"national_id": VALID_ID, "name": "王小明"})
    assert answer.result == {"match": True, "record_status": "active", "reference": "HO-000001"}
    assert answer.evidence["agency"] == HOUSEHOLD and answer.evidence["status"] == 200
    assert answer.evidence["request"] == {"national_id": VALID_ID, "name": "王小明"}
    assert (
        perform(connectors, IDENTITY, {"national_id": "E124551027", "name": "黃建宏"}, key="k2").result["record_status"]
        == "removed"
    )
    assert perform(connectors, IDENTITY, {"national_id": VALID_ID, "name": "王大明"}, key="k3").result["match"] is False
    assert (
        perform(
            connectors,
            "land_registry/ownership_check",
            {"national_id": VALID_ID, "address": "臺北市大安區仁愛路四段100號5樓"},
        ).result["owner"]
        is True
    )
    assert (
        perform(connectors, "health_insurance/enrolment_check", {"national_id": "E124551027"}).result["status"]
        == "withdrawn"
    )
    assert (
        perform(
            connectors, "criminal_records/record_check", {"national_id": "K123004560", "purpose": "name_change"}
        ).result["has_record"]
        is True
    )
    assert perform(connectors, "immigration/residence_status", {"resident_number": "AC01234567"}).result == {
        "status": "valid",
        "valid_until": "2028-01-15",
        "reference": "IM-000007",
    }


def test_only_the_minimum_data_leaves_the_office(connectors, agencies):
    perform(
        connectors,
        IDENTITY,
        {"national_id": VALID_ID, "name": "王小明", "copies": 2, "purpose": "visa", "spouse_id": "F131104093"},
    )
    [query] = agencies.queries()
    assert set(query["request"]) == {"national_id", "name"}
    assert query["request"]["national_id"] == "A12****789"  # the simulator's log masks it too


def test_an_invalid_number_is_never_sent(connectors, agencies):
    with pytest.raises(ServiceFailure) as refused:
        perform(connectors, IDENTITY, {"national_id": "A123456788", "name": "王小明"})
    assert (refused.value.code, refused.value.retryable) == ("agency_refused", False)
    assert "A123456788" not in refused.value.message
    assert agencies.stats()["requests"] == 0


@pytest.mark.parametrize(
    "fault, code",
    [
        ({"mode": "error", "status": 503}, "agency_unavailable"),
        ({"mode": "error", "status": 429}, "agency_unavailable"),
        ({"mode": "hang", "hang_seconds": 60}, "agency_unavailable"),
        ({"mode": "malformed"}, "agency_invalid_answer"),
        ({"mode": "wrong_content_type"}, "agency_invalid_answer"),
        ({"mode": "error", "status": 403}, "agency_refused"),
    ],
)
def test_each_failure_has_its_code(connectors, agencies, fault, code):
    agencies.fault(**fault)
    with pytest.raises(ServiceFailure) as failed:
        perform(connectors, IDENTITY, {"national_id": VALID_ID, "name": "王小明"})
    # A hanging agency answers after 60 s, and answers well: failing, the call gave up before that.
    assert failed.value.code == code and failed.value.retryable == (code != "agency_refused")
    assert VALID_ID not in failed.value.message
    assert failed.value.evidence["agency"] == HOUSEHOLD


def test_a_retried_call_is_not_counted_twice_by_the_agency(connectors, agencies):
    agencies.fault(mode="hang", hang_seconds=60, times=1)
    with pytest.raises(ServiceFailure):
        perform(connectors, IDENTITY, {"national_id": VALID_ID, "name": "王小明"}, key="same", attempt=1)
    answer = perform(connectors, IDENTITY, {"national_id": VALID_ID, "name": "王小明"}, key="same", attempt=2)
    assert answer.result["match"] is True
    assert agencies.stats() == {"requests": 2, "queries": 1}
    # The same key with other data is refused by the gateway: never a wrong answer.
    with pytest.raises(ServiceFailure) as refused:
        perform(connectors, IDENTITY, {"national_id": VALID_ID, "name": "王大明"}, key="same")
    assert refused.value.code == "agency_refused"


def test_the_breaker_opens_refuses_then_lets_one_trial_through(connectors, agencies):
    client = connectors.clients[HOUSEHOLD]
    clock = controlled_breaker(client, reset_seconds=30)
    agencies.fault(mode="error", status=502)
    for _ in range(3):
        with pytest.raises(ServiceFailure, match="HTTP 502"):
            perform(connectors, IDENTITY, {"national_id": VALID_ID, "name": "王小明"})
    assert client.breaker.state == OPEN
    with pytest.raises(ServiceFailure) as refused:
        perform(connectors, IDENTITY, {"national_id": VALID_ID, "name": "王小明"})
    assert (refused.value.code, refused.value.retryable) == ("agency_circuit_open", False)
    assert agencies.stats()["requests"] == 3  # the open circuit sent nothing
    assert connectors.health()["status"] == "down"
    assert connectors.health()["agencies"][HOUSEHOLD]["state"] == OPEN

    clock.now += 30  # reset_seconds: half-open, and the trial fails: open again
    assert client.breaker.state == HALF_OPEN
    with pytest.raises(ServiceFailure, match="HTTP 502"):
        perform(connectors, IDENTITY, {"national_id": VALID_ID, "name": "王小明"})
    assert client.breaker.state == OPEN and agencies.stats()["requests"] == 4

    agencies.clear()
    clock.now += 30  # the agency is back: the trial succeeds and closes the circuit
    assert perform(connectors, IDENTITY, {"national_id": VALID_ID, "name": "王小明"}, key="k2").result["match"]
    assert client.breaker.state == CLOSED and connectors.health()["status"] == "ok"


def test_half_open_lets_exactly_one_call_through_at_a_time():
    now = [0.0]
    breaker = CircuitBreaker("x", failure_threshold=2, reset_seconds=10, clock=lambda: now[0])
    breaker.failed()
    assert breaker.allow()  # one failure is not enough
    breaker.failed()
    assert breaker.state == OPEN and not breaker.allow()
    now[0] = 10.0
    assert breaker.allow() and not breaker.allow()  # the trial, and nobody else meanwhile
    breaker.succeeded()
    assert breaker.state == CLOSED and breaker.allow() and breaker.allow()


def test_an_unreachable_gateway_is_unavailable_and_reported_down(agencies):
    closed_port = AgencySettings.all_at("http://127.0.0.1:9", timeout_seconds=0.5)
    connectors = AgencyConnectors(closed_port)
    with pytest.raises(ServiceFailure) as failed:
        perform(connectors, IDENTITY, {"national_id": VALID_ID, "name": "王小明"})
    assert failed.value.code == "agency_unavailable" and "could not be reached" in failed.value.message
    health = connectors.health()
    assert health["status"] == "down" and health["agencies"][HOUSEHOLD]["reachable"] is False


def test_the_seeded_records_use_valid_numbers():
    numbers = [
        *records.PEOPLE,
        *records.ENROLMENTS,
        *records.CRIMINAL_RECORDS,
        *records.PERMITS,
        *(owner for parcel in records.PARCELS.values() for owner in parcel.owners),
        *(household.head for household in records.HOUSEHOLDS.values()),
    ]
    assert numbers and all(valid_national_id(number) for number in numbers)
    assert {person.household_id for person in records.PEOPLE.values()} <= set(records.HOUSEHOLDS)
