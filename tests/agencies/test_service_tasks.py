"""The household transcript's register check as an asynchronous service task, end to end: the
command leaves the task waiting with a job, the worker calls the simulator over HTTP and records
the answer, retries are re-scheduled jobs, and an agency that stays down or answers garbage
sends the case to the clerk's manual verification with the failure shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bootstrap import build_engine
from engine import commands as cmd
from engine.storage import ServiceJob, jobs
from workflows.agencies import AgencySettings

from ..conftest import AGENCY_TIMEOUT_SECONDS
from ..engine.helpers import RECEIVE, VALID_ID, case_row, complete, events, open_task, open_tasks, start
from .conftest import HOUSEHOLD


def received(engine) -> str:
    """A case whose application was received: waiting for the household register."""
    started = start(engine, applicant={"name": "王小明", "national_id": VALID_ID})
    complete(engine, started.case_id, "receive_application", RECEIVE, run_jobs=False)
    return started.case_id


def job_of(engine, case_id: str) -> ServiceJob:
    with engine.read() as session:
        return session.scalars(select(ServiceJob).where(ServiceJob.case_id == case_id)).one()


def evidence(engine, case_id: str) -> list:
    return [e for e in events(engine, case_id) if e.type == "service_result_recorded"]


def test_the_step_waits_for_the_agency_and_the_worker_records_its_answer(engine, transcript, agencies, clock):
    case_id = received(engine)
    assert open_tasks(engine, case_id) == [] and agencies.stats()["requests"] == 0  # no call inside the command
    job = job_of(engine, case_id)
    assert (job.status, job.operation, job.attempts, job.max_attempts) == (
        "pending",
        "household_registration/identity_check",
        0,
        3,
    )
    assert job.params == {"national_id": VALID_ID, "name": "王小明"}

    clock.advance(seconds=5)
    assert engine.run_due_jobs() == {"answered": 1}
    assert open_task(engine, case_id, "issue_transcript")
    assert job_of(engine, case_id).status == "done" and engine.run_due_jobs() == {}
    [answer] = evidence(engine, case_id)
    assert answer.actor == "worker" and answer.element_id == "verify_household_record"
    assert answer.payload["result"] == {"match": True, "record_status": "active", "reference": "HO-000001"}
    assert answer.payload["agency"] == HOUSEHOLD and answer.payload["request"] == {
        "national_id": VALID_ID,
        "name": "王小明",
    }
    assert answer.payload["requested_at"] == answer.payload["answered_at"] == clock.now().isoformat()
    assert [a["outcome"] for a in answer.payload["attempts"]] == ["answered"]
    assert engine.verify_case(case_id).ok


def test_a_slow_agency_times_out_and_the_retry_gets_the_answer_counted_once(engine, transcript, agencies, clock):
    case_id = received(engine)
    agencies.fault(mode="hang", hang_seconds=AGENCY_TIMEOUT_SECONDS + 30, times=1)
    assert engine.run_due_jobs() == {"retry": 1}
    job = job_of(engine, case_id)
    assert job.status == "pending" and job.next_attempt_at == clock.now() + timedelta(seconds=2)  # 2 ** 1
    assert job.attempt_log[0]["code"] == "agency_unavailable"
    assert engine.run_due_jobs() == {}  # a retry waits for its backoff: no sleep, a re-scheduled job
    clock.advance(seconds=2)
    assert engine.run_due_jobs() == {"answered": 1}
    assert open_task(engine, case_id, "issue_transcript")
    # Two requests, one query of the person's record: the retry carried the same idempotency key.
    assert agencies.stats() == {"requests": 2, "queries": 1}
    [answer] = evidence(engine, case_id)
    assert [a.get("code") for a in answer.payload["attempts"]] == ["agency_unavailable", None]


def test_a_flaky_agency_is_retried_with_growing_backoff(engine, transcript, agencies, clock):
    case_id = received(engine)
    agencies.fault(mode="error", status=503, times=2)
    assert engine.run_due_jobs() == {"retry": 1}
    clock.advance(seconds=2)
    assert engine.run_due_jobs() == {"retry": 1}
    assert job_of(engine, case_id).next_attempt_at == clock.now() + timedelta(seconds=4)  # 2 ** 2
    clock.advance(seconds=4)
    assert engine.run_due_jobs() == {"answered": 1}
    [answer] = evidence(engine, case_id)
    assert len(answer.payload["attempts"]) == 3 and answer.payload["result"]["match"] is True
    assert agencies.stats() == {"requests": 3, "queries": 1}


def fail_for_good(engine, clock) -> None:
    for delay in (2, 4):
        assert engine.run_due_jobs() == {"retry": 1}
        clock.advance(seconds=delay)
    assert engine.run_due_jobs() == {"failed": 1}


@pytest.mark.parametrize(
    "fault, code",
    [
        ({"mode": "error", "status": 503}, "agency_unavailable"),
        ({"mode": "malformed"}, "agency_invalid_answer"),
        ({"mode": "wrong_content_type"}, "agency_invalid_answer"),
    ],
)
def test_an_agency_that_stays_down_sends_the_case_to_the_clerk(engine, transcript, agencies, clock, fault, code):
    case_id = received(engine)
    agencies.fault(**fault)
    fail_for_good(engine, clock)
    manual = open_task(engine, case_id, "verify_identity_manually")
    assert manual.lane == "Clerk" and job_of(engine, case_id).status == "failed"
    failure = engine.case_state(case_id)["data"]["agency_failure"]
    assert failure["code"] == code and failure["agency"] == HOUSEHOLD and failure["attempts"] == 3
    assert "household" in failure["message"].lower() and VALID_ID not in str(failure)
    [recorded] = evidence(engine, case_id)
    assert recorded.payload["error"]["code"] == code and "result" not in recorded.payload
    # The clerk checks by hand and records how; the case goes on.
    complete(
        engine,
        case_id,
        "verify_identity_manually",
        {
            "identity_confirmed": True,
            "checked_document": "national_id_card",
            "record_checked_by": "phone_to_registering_office",
            "note": "戶政系統連線中斷，電話確認",
        },
    )
    assert open_task(engine, case_id, "issue_transcript")
    assert engine.verify_case(case_id).ok


def test_the_register_not_confirming_the_applicant_also_goes_to_the_clerk(engine, transcript, agencies):
    started = start(engine)
    complete(engine, started.case_id, "receive_application", {**RECEIVE, "applicant_name": "王大明"})
    assert open_task(engine, started.case_id, "verify_identity_manually")
    data = engine.case_state(started.case_id)["data"]
    assert data["household_record"]["match"] is False and "agency_failure" not in data


def test_an_open_breaker_fails_the_task_at_once_and_half_open_lets_a_trial_through(
    database_url, simulator, agencies, clock
):
    from config import Settings
    from engine import files_from_folder
    from workflows.agencies.breaker import CircuitBreaker

    from ..conftest import BPMN

    agency_settings = AgencySettings.all_at(
        simulator.url, timeout_seconds=AGENCY_TIMEOUT_SECONDS, breaker_failures=3, breaker_reset_seconds=30
    )
    engine = build_engine(Settings(environment="test", database_url=database_url, agencies=agency_settings), clock)
    client = engine.components["agencies"].clients[HOUSEHOLD]
    seconds = [0.0]  # the breaker's clock: the test says when its reset time has passed
    client.breaker = CircuitBreaker(
        client.breaker.name, failure_threshold=3, reset_seconds=30, clock=lambda: seconds[0]
    )
    try:
        engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / "household_transcript")))
        agencies.fault(mode="error", status=500)
        first = received(engine)
        fail_for_good(engine, clock)  # three failures in a row open the circuit
        engine.components["heartbeat"].refresh()  # what /api/health does before its checks
        assert engine.health_checks["agency_gateway"]()["status"] == "down"
        second = received(engine)
        assert engine.run_due_jobs() == {"failed": 1}  # at once: no retry, no request
        assert agencies.stats()["requests"] == 3
        assert engine.case_state(second)["data"]["agency_failure"]["code"] == "agency_circuit_open"
        assert [job_of(engine, case).attempts for case in (first, second)] == [3, 1]

        agencies.clear()
        seconds[0] += 30  # half-open: the next call is the trial, it succeeds, the circuit closes
        third = received(engine)
        assert engine.run_due_jobs() == {"answered": 1}
        assert open_task(engine, third, "issue_transcript")
        assert engine.components["agencies"].clients[HOUSEHOLD].breaker.state == "closed"
    finally:
        engine.dispose()


def test_a_cancelled_case_cancels_its_job_and_nobody_calls(engine, transcript, agencies):
    case_id = received(engine)
    engine.handle(cmd.CancelCase(case_id, "applicant withdrew", actor="clerk-1"))
    assert job_of(engine, case_id).status == "cancelled"
    assert engine.run_due_jobs() == {} and agencies.stats()["requests"] == 0


def test_a_late_answer_from_a_worker_whose_lease_expired_is_not_recorded_again(engine, transcript, agencies, clock):
    case_id = received(engine)
    job_id = job_of(engine, case_id).id
    with engine.db.begin() as conn:  # a worker takes the job, then stalls past its lease
        stalled = jobs.claim(conn, job_id, clock.now(), timedelta(seconds=60))
    assert engine.run_due_jobs() == {}  # the lease holds
    clock.advance(seconds=61)
    assert engine.run_due_jobs() == {"answered": 1}  # another worker takes over
    late = cmd.RecordServiceOutcome(stalled.id, {"attempt": 1}, result={"match": False, "record_status": "x"})
    assert engine.handle(late) is None
    assert len(evidence(engine, case_id)) == 1 and case_row(engine, case_id).status == "running"
    assert open_task(engine, case_id, "issue_transcript")


def test_replay_uses_the_recorded_answers_and_calls_no_agency(engine, database_url, transcript, agencies, clock):
    case_id = received(engine)
    agencies.fault(mode="error", times=1)
    engine.run_due_jobs()
    clock.advance(seconds=2)
    engine.run_due_jobs()
    complete(engine, case_id, "issue_transcript", {"fee_paid": 15})
    requests_made = agencies.stats()["requests"]
    assert requests_made == 2

    # Another engine on the same database whose agencies are unreachable: replay needs none.
    from config import Settings

    offline = build_engine(
        Settings(
            environment="test",
            database_url=database_url,
            agencies=AgencySettings.all_at("http://127.0.0.1:9", timeout_seconds=0.2),
        ),
        clock,
    )
    try:
        assert offline.verify_case(case_id).ok
        answered = [e.seq for e in evidence(engine, case_id)][0]
        before, after = offline.case_state(case_id, at_seq=answered - 1), offline.case_state(case_id, at_seq=answered)
        assert "household_record" not in before["data"] and after["data"]["household_record"]["match"] is True
        assert [t["element_id"] for t in after["ready_tasks"]] == ["issue_transcript"]
    finally:
        offline.dispose()
    assert engine.verify_case(case_id).ok
    assert agencies.stats()["requests"] == requests_made  # not one more request
