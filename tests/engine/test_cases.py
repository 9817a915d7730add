"""The household transcript procedure end to end through engine commands."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import Conflict, InvalidInput, NotAllowed, NotFound, accounts
from engine import commands as cmd

from .helpers import RECEIVE, case_row, complete, events, open_task, open_tasks, start


def test_main_path_from_receipt_to_rating(engine, transcript, clock):
    started = start(engine)
    assert started.number.startswith("2026-") and len(started.access_code) == 8

    receive = open_task(engine, started.case_id, "receive_application")
    assert (receive.lane, receive.form_key) == ("Clerk", "receive_application.schema.json")

    complete(engine, started.case_id, "receive_application", RECEIVE, run_jobs=False)
    assert open_tasks(engine, started.case_id) == []  # the household register is asked first
    assert engine.run_due_jobs() == {"answered": 1}
    issue = open_task(engine, started.case_id, "issue_transcript")
    assert issue.due_at == clock.now() + timedelta(minutes=15)  # its boundary timer is its deadline

    clock.advance(minutes=10)
    complete(engine, started.case_id, "issue_transcript", {"fee_paid": 15})
    served_at = clock.now()
    assert open_tasks(engine, started.case_id) == []
    case = case_row(engine, started.case_id)
    assert case.status == "running" and case.next_timer_at == clock.now() + timedelta(days=7)
    assert case.served_at == served_at and case.overdue_at is None  # the rating does not count

    engine.handle(cmd.DeliverMessage(started.case_id, "rating_received", {"score": 5}, actor="applicant"))
    case = case_row(engine, started.case_id)
    assert case.status == "completed" and case.next_timer_at is None
    assert [e.type for e in events(engine, started.case_id)] == [
        "case_started",
        "task_completed",
        "service_result_recorded",
        "task_completed",
        "service_delivered",
        "message_delivered",
        "case_completed",
    ]
    state = engine.case_state(started.case_id)
    assert state["data"]["rating_score"] == 5 and state["data"]["identity_valid"] is True
    assert state["data"]["identity_confirmed_by_agency"] is True
    assert engine.verify_case(started.case_id).ok


def test_invalid_identity_goes_to_manual_check_and_can_be_rejected(engine, transcript):
    started = start(engine)
    complete(engine, started.case_id, "receive_application", {**RECEIVE, "national_id": "A123456788"})
    complete(
        engine,
        started.case_id,
        "verify_identity_manually",
        {"identity_confirmed": False, "checked_document": "passport"},
    )
    assert case_row(engine, started.case_id).status == "completed"
    assert engine.case_state(started.case_id)["data"]["identity_confirmed"] is False


def test_overdue_task_escalates_to_supervisor_and_unrated_case_closes(engine, transcript, clock):
    started = start(engine)
    complete(engine, started.case_id, "receive_application", RECEIVE)
    clock.advance(minutes=14)
    assert engine.handle(cmd.FireDueTimers(started.case_id)) is None  # not due yet: nothing recorded
    clock.advance(minutes=2)
    engine.handle(cmd.FireDueTimers(started.case_id))
    supervisor = open_task(engine, started.case_id, "review_delay")
    assert supervisor.lane == "Supervisor"
    assert open_task(engine, started.case_id, "issue_transcript")  # non-interrupting: still open
    complete(engine, started.case_id, "issue_transcript", {"fee_paid": 15})
    review = {"delay_reason": "staff_shortage", "action": "expedite"}
    complete(engine, started.case_id, "review_delay", review, actor="supervisor-1")
    clock.advance(days=7, seconds=1)
    engine.handle(cmd.FireDueTimers(started.case_id))
    assert case_row(engine, started.case_id).status == "completed"
    assert engine.verify_case(started.case_id).ok


def test_form_data_is_validated_against_the_task_schema(engine, transcript):
    started = start(engine)
    with pytest.raises(InvalidInput) as raised:
        complete(engine, started.case_id, "receive_application", {"national_id": "bad", "copies": 0})
    fields = {error["field"] for error in raised.value.details["errors"]}
    assert {"national_id", "copies", "(form)"} <= fields
    assert [e.type for e in events(engine, started.case_id)] == ["case_started"]


def test_claims(engine, transcript):
    started = start(engine)
    task = open_task(engine, started.case_id, "receive_application")
    engine.handle(cmd.ClaimTask(task.id, "clerk-1"))
    with pytest.raises(Conflict):
        engine.handle(cmd.ClaimTask(task.id, "clerk-2"))
    with pytest.raises(Conflict):
        engine.handle(cmd.CompleteTask(task.id, "clerk-2", RECEIVE))
    with pytest.raises(Conflict):
        engine.handle(cmd.UnclaimTask(task.id, "clerk-2"))
    engine.handle(cmd.UnclaimTask(task.id, "clerk-1"))
    engine.handle(cmd.ClaimTask(task.id, "clerk-2"))
    engine.handle(cmd.CompleteTask(task.id, "clerk-2", RECEIVE))
    with pytest.raises(Conflict):
        engine.handle(cmd.CompleteTask(task.id, "clerk-2", RECEIVE))
    assert [e.type for e in events(engine, started.case_id)] == [
        "case_started",
        "task_claimed",
        "task_unclaimed",
        "task_claimed",
        "task_completed",
    ]
    assert engine.verify_case(started.case_id).ok


def test_cancel_closes_the_case_and_its_tasks(engine, transcript):
    started = start(engine)
    with pytest.raises(InvalidInput):
        engine.handle(cmd.CancelCase(started.case_id, "  ", actor="clerk-1"))
    engine.handle(cmd.CancelCase(started.case_id, "applicant withdrew", actor="clerk-1"))
    case = case_row(engine, started.case_id)
    assert (case.status, case.close_reason) == ("cancelled", "applicant withdrew")
    assert open_tasks(engine, started.case_id) == []
    with pytest.raises(Conflict):
        engine.handle(cmd.DeliverMessage(started.case_id, "rating_received", {"score": 1}))
    assert engine.verify_case(started.case_id).ok


def test_message_nobody_waits_for_is_a_conflict(engine, transcript):
    started = start(engine)
    with pytest.raises(Conflict):
        engine.handle(cmd.DeliverMessage(started.case_id, "rating_received", {"score": 3}))
    assert len(events(engine, started.case_id)) == 1


def test_bad_start_input(engine, transcript):
    with pytest.raises(InvalidInput) as raised:
        engine.handle(cmd.StartCase("no_such_procedure", {}))
    assert raised.value.details["errors"][0]["field"] == "procedure"
    with pytest.raises(InvalidInput):
        engine.handle(cmd.StartCase("household_transcript", {}, channel="fax"))
    with pytest.raises(InvalidInput):
        engine.handle(cmd.StartCase("household_transcript", {"when": object()}))
    with pytest.raises(NotFound):
        engine.handle(cmd.CancelCase("00000000-0000-0000-0000-000000000000", "x"))


def test_case_numbers_are_sequential_per_year(engine, transcript, clock):
    first, second = start(engine), start(engine)
    assert (first.number, second.number) == ("2026-000001", "2026-000002")
    clock.set(clock.now().replace(year=2027, month=1, day=4))
    assert start(engine).number == "2027-000001"


def test_idempotency_key_returns_the_same_case(engine, transcript):
    first = start(engine, idempotency_key="req-1")
    again = start(engine, idempotency_key="req-1")
    assert (again.case_id, again.access_code, again.existing) == (first.case_id, first.access_code, True)


def test_new_versions_do_not_move_running_cases(engine, transcript):

    from engine import files_from_folder
    from tests.conftest import BPMN

    running = start(engine)
    files = files_from_folder(BPMN / "household_transcript")
    again = engine.handle(cmd.DeployDefinition(files))
    assert (again.created, again.definition.version) == (False, 1)
    files["household_transcript.bpmn"] = files["household_transcript.bpmn"].replace(
        "核發謄本 Issue transcript".encode(), "核發 Issue".encode()
    )
    v2 = engine.handle(cmd.DeployDefinition(files))
    assert (v2.created, v2.definition.version) == (True, 2)
    newer = start(engine)
    assert (running.version, newer.version) == (1, 2)
    complete(engine, running.case_id, "receive_application", RECEIVE)
    complete(engine, newer.case_id, "receive_application", RECEIVE)
    assert open_task(engine, running.case_id, "issue_transcript").name == "核發謄本 Issue transcript"
    assert open_task(engine, newer.case_id, "issue_transcript").name == "核發 Issue"


def test_a_task_outside_the_actors_lanes_is_refused_and_nothing_is_recorded(engine, transcript):
    # clerk-1 is the case's officer: the case is theirs to reach, the task's lane is not theirs.
    with engine.write() as session:
        accounts.create_user(session, "clerk-1", roles=["clerk"], groups=["Records"], now=engine.clock.now())
    started = start(engine, officer="clerk-1")
    task = open_task(engine, started.case_id, "receive_application")
    recorded = len(events(engine, started.case_id))
    for command in (
        cmd.ClaimTask(task.id, "clerk-1", lanes=frozenset({"Supervisor"})),
        cmd.UnclaimTask(task.id, "clerk-1", lanes=frozenset()),
        cmd.CompleteTask(task.id, "clerk-1", RECEIVE, lanes=frozenset({"Supervisor"})),
    ):
        with pytest.raises(NotAllowed) as refused:
            engine.handle(command)
        assert refused.value.details == {"task_id": task.id, "lane": "Clerk"}
    # Another clerk, who reaches neither the lane nor the case, is told the task does not exist.
    with pytest.raises(NotFound) as unknown:
        engine.handle(cmd.ClaimTask(task.id, "clerk-2", lanes=frozenset({"Records"})))
    assert unknown.value.details == {"task_id": task.id} and "Clerk" not in unknown.value.message
    assert len(events(engine, started.case_id)) == recorded
    engine.handle(cmd.CompleteTask(task.id, "clerk-1", RECEIVE, lanes=frozenset({"Clerk"})))
    assert [e.type for e in events(engine, started.case_id)][recorded] == "task_completed"


def test_a_case_still_being_processed_cannot_be_rated_yet(engine, transcript, clock):
    started = start(engine)
    with pytest.raises(Conflict) as refused:
        engine.handle(cmd.RecordRating(started.case_id, 5, "很快", actor="applicant"))
    assert "still being processed" in refused.value.message
    assert [e.type for e in events(engine, started.case_id)] == ["case_started"]
    complete(engine, started.case_id, "receive_application", RECEIVE)
    complete(engine, started.case_id, "issue_transcript", {"fee_paid": 15})
    # Now the rating step waits: the same rating is taken, once.
    engine.handle(cmd.RecordRating(started.case_id, 5, "很快", actor="applicant"))
    assert case_row(engine, started.case_id).status == "completed"
