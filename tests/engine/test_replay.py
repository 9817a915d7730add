"""Replay reproduces every case from its events; any edit of history or state is reported."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from engine import Conflict, InvalidInput
from engine import commands as cmd
from engine.storage import Case, CaseEvent

from ..tampering import tamper, with_guard_lifted
from .helpers import RECEIVE, complete, events, open_tasks, start

ACTIONS = st.lists(
    st.sampled_from(
        ["complete", "complete_bad_id", "claim", "advance_hours", "advance_days", "fire", "rate", "cancel"]
    ),
    min_size=1,
    max_size=12,
)


def _drive(engine, clock, case_id, actions, draw_score):
    for action in actions:
        tasks = open_tasks(engine, case_id)
        try:
            if action.startswith("complete") and tasks:
                task = tasks[0]
                data = _form_data(task.element_id, bad_id=action == "complete_bad_id")
                engine.handle(cmd.CompleteTask(task.id, task.assignee or "clerk-1", data))
            elif action == "claim" and tasks:
                engine.handle(cmd.ClaimTask(tasks[-1].id, "clerk-2"))
            elif action == "advance_hours":
                clock.advance(hours=3)
            elif action == "advance_days":
                clock.advance(days=4)
            elif action == "fire":
                engine.handle(cmd.FireDueTimers(case_id))
            elif action == "rate":
                engine.handle(cmd.DeliverMessage(case_id, "rating_received", {"score": draw_score}, actor="applicant"))
            elif action == "cancel":
                engine.handle(cmd.CancelCase(case_id, "withdrawn", actor="clerk-1"))
        except (Conflict, InvalidInput):
            pass  # refused commands record nothing; replay must still hold


def _form_data(element_id, bad_id=False):
    if element_id == "receive_application":
        return {**RECEIVE, "national_id": "A123456788" if bad_id else RECEIVE["national_id"]}
    if element_id == "verify_identity_manually":
        return {"identity_confirmed": not bad_id, "checked_document": "passport"}
    if element_id == "issue_transcript":
        return {"fee_paid": 15}
    return {}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS, score=st.integers(min_value=1, max_value=5))
def test_replay_reproduces_randomly_driven_cases(engine, transcript, clock, actions, score):
    started = start(engine)
    _drive(engine, clock, started.case_id, actions, score)
    result = engine.verify_case(started.case_id)
    assert result.ok, result.problems
    # and every intermediate state can be rebuilt
    for event in events(engine, started.case_id):
        assert engine.case_state(started.case_id, event.seq)["divergence"] is None


def test_state_at_an_earlier_event(engine, transcript, clock):
    started = start(engine)
    complete(engine, started.case_id, "receive_application", RECEIVE)
    clock.advance(hours=1)
    complete(engine, started.case_id, "issue_transcript", {"fee_paid": 15})
    after_receipt = engine.case_state(started.case_id, at_seq=2)
    assert after_receipt["ready_tasks"] == []  # waiting for the household register's answer
    after_answer = engine.case_state(started.case_id, at_seq=3)
    assert [t["element_id"] for t in after_answer["ready_tasks"]] == ["issue_transcript"]
    assert after_answer["data"]["applicant_name"] == "王小明"
    assert after_answer["data"]["household_record"]["match"] is True
    assert "fee_paid" not in after_answer["data"]
    at_start = engine.case_state(started.case_id, at_seq=1)
    assert [t["element_id"] for t in at_start["ready_tasks"]] == ["receive_application"]


def _completed_case(engine, clock):
    started = start(engine)
    complete(engine, started.case_id, "receive_application", RECEIVE)
    clock.advance(hours=1)
    complete(engine, started.case_id, "issue_transcript", {"fee_paid": 15})
    return started.case_id


def _tamper(engine, statement):
    tamper(engine, statement)


def test_an_edited_event_is_reported(engine, transcript, clock):
    case_id = _completed_case(engine, clock)
    _tamper(
        engine,
        update(CaseEvent)
        .where(CaseEvent.case_id == case_id, CaseEvent.seq == 2)
        .values(payload={"task_id": events(engine, case_id)[1].payload["task_id"], "data": {**RECEIVE, "copies": 9}}),
    )
    result = engine.verify_case(case_id)
    assert not result.ok and result.first_divergent_seq == 2
    assert "edited" in " ".join(result.problems)


def test_an_edited_event_with_a_recomputed_hash_is_caught_by_replay(engine, transcript, clock):
    from engine.storage import event_hash

    case_id = _completed_case(engine, clock)
    with with_guard_lifted(engine) as session:
        rows = session.query(CaseEvent).filter_by(case_id=case_id).order_by(CaseEvent.seq).all()
        rows[1].occurred_at = rows[1].occurred_at + timedelta(hours=5)  # backdate the work
        # a forger who recomputes the whole chain from there on
        prev = rows[0].hash
        for row in rows[1:]:
            row.prev_hash = prev
            row.hash = prev = event_hash(row)
        session.get(Case, case_id).last_event_hash = prev
    result = engine.verify_case(case_id)
    assert not result.ok and result.first_divergent_seq == 2, result.problems


def test_an_edited_state_is_reported(engine, transcript, clock):
    case_id = _completed_case(engine, clock)
    with engine.read() as session:
        state = session.get(Case, case_id).state
    forged = state.replace('"fee_paid":15', '"fee_paid":0')
    assert forged != state
    _tamper(engine, update(Case).where(Case.id == case_id).values(state=forged))
    result = engine.verify_case(case_id)
    assert not result.ok
    assert "stored case state differs" in " ".join(result.problems)


def test_a_removed_event_is_reported(engine, transcript, clock):
    from sqlalchemy import delete

    case_id = _completed_case(engine, clock)
    last = len(events(engine, case_id))
    _tamper(engine, delete(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.seq == last))
    result = engine.verify_case(case_id)
    assert not result.ok and result.first_divergent_seq == last


def test_verify_all(engine, transcript, clock):
    ids = [_completed_case(engine, clock) for _ in range(3)]
    results = list(engine.verify_all(batch_size=2))
    assert sorted(r.case_id for r in results) == sorted(ids) and all(r.ok for r in results)


def test_verify_all_in_worker_processes_finds_what_one_process_finds(engine, transcript, clock, monkeypatch):
    """Many cases are verified in worker processes (each its own engine, built by bootstrap):
    the same results, in the same order of ids, a forged case among them found."""
    from engine.audit import verification

    ids = [_completed_case(engine, clock) for _ in range(5)]
    forged = sorted(ids)[2]
    _tamper(engine, update(Case).where(Case.id == forged).values(state_hash="0" * 64, state="{}"))
    alone = [result.as_dict() for result in engine.verify_all(batch_size=2, workers=1)]
    monkeypatch.setattr(verification, "PARALLEL_FROM_CASES", 2)
    started = []
    original = verification.verify_in_workers

    def counted(*args, **kwargs):
        started.append(args[2])
        return original(*args, **kwargs)

    monkeypatch.setattr(verification, "verify_in_workers", counted)
    in_workers = [result.as_dict() for result in engine.verify_all(batch_size=2, workers=2)]
    assert started == [2]
    assert in_workers == alone and [r["case_id"] for r in alone] == sorted(ids)
    assert [r["case_id"] for r in alone if not r["ok"]] == [forged]
