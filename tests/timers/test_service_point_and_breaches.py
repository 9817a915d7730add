"""The service point (serviceDelivered) and the breach recorded once whatever the path: the SLA
clock stops at the service, the rating and follow-ups after it do not count, and a case whose
clock ran past its due date gets exactly one ``case_overdue`` with its notices, be it found by the
scheduler at the due date, by the step that opens after it, by a calendar change or a pause."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from engine import commands as cmd
from engine.storage import Notification, queries
from tests.engine.helpers import RECEIVE, case_row, complete, events, open_task, open_tasks
from workflows.office_calendar import recompute_due_dates

from .conftest import taipei

APPLICANT = {"name": "王小明", "email": "ming@example.tw", "phone": "0912345678"}


def start_transcript(engine, **kwargs):
    return engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk-1", applicant=APPLICANT, **kwargs))


def breaches(engine, case_id: str) -> list:
    return [event for event in events(engine, case_id) if event.type == "case_overdue"]


def breach_notices(engine, case_id: str) -> list[tuple[str, str]]:
    with engine.read() as session:
        rows = session.scalars(
            select(Notification).where(Notification.case_id == case_id, Notification.kind == "sla_breach")
        )
        return sorted((row.audience, row.channel) for row in rows)


TOLD = [("applicant", "email"), ("applicant", "sms"), ("supervisor", "email")]


def test_served_on_time_and_rated_late_is_on_time(engine, transcript, clock):
    case = start_transcript(engine)
    complete(engine, case.case_id, "receive_application", RECEIVE)
    clock.advance(minutes=10)
    complete(engine, case.case_id, "issue_transcript", {"fee_paid": 15})
    served = [e for e in events(engine, case.case_id) if e.type == "service_delivered"]
    assert len(served) == 1 and served[0].element_id == "issue_transcript" and served[0].payload["on_time"] is True
    row = case_row(engine, case.case_id)
    assert row.served_at == clock.now() and row.next_timer_at == clock.now() + timedelta(days=7)  # the rating window
    # Days later the rating window closes: the case completes, still on time.
    clock.advance(days=7, seconds=1)
    engine.handle(cmd.FireDueTimers(case.case_id))
    row = case_row(engine, case.case_id)
    assert row.status == "completed" and row.overdue_at is None and breaches(engine, case.case_id) == []
    assert breach_notices(engine, case.case_id) == []
    assert engine.verify_case(case.case_id).ok


def test_the_scheduler_finds_a_breach_where_no_diagram_timer_waits(engine, transcript, clock):
    """Still at the receiving step (no SLA timer there): the engine wakes the case at its due date."""
    case = start_transcript(engine)
    due = case_row(engine, case.case_id).due_at
    assert case_row(engine, case.case_id).next_timer_at == due
    clock.set(due + timedelta(seconds=1))
    engine.handle(cmd.FireDueTimers(case.case_id))
    row = case_row(engine, case.case_id)
    assert row.overdue_at == due and row.next_timer_at is None
    assert len(breaches(engine, case.case_id)) == 1 and breach_notices(engine, case.case_id) == TOLD
    assert engine.handle(cmd.FireDueTimers(case.case_id)) is None  # nothing more to wake for
    complete(engine, case.case_id, "receive_application", RECEIVE)  # the issue step opens late
    complete(engine, case.case_id, "issue_transcript", {"fee_paid": 15})
    assert len(breaches(engine, case.case_id)) == 1 and breach_notices(engine, case.case_id) == TOLD
    assert engine.verify_case(case.case_id).ok


def test_a_step_that_opens_after_the_due_time_records_the_breach_with_its_notices(engine, transcript, clock):
    """No scheduler ran (or it was down): the command that opens the late step finds the breach."""
    case = start_transcript(engine)
    due = case_row(engine, case.case_id).due_at
    clock.set(due + timedelta(minutes=30))
    complete(engine, case.case_id, "receive_application", RECEIVE)
    assert {t.element_id for t in open_tasks(engine, case.case_id)} == {"issue_transcript", "review_delay"}
    [breach] = breaches(engine, case.case_id)
    assert breach.payload["overdue_at"] == due.isoformat() and breach.payload["served_at"] is None
    assert case_row(engine, case.case_id).overdue_at == due
    assert breach_notices(engine, case.case_id) == TOLD
    assert engine.verify_case(case.case_id).ok


def test_served_late_without_any_wake_up_still_records_one_breach(engine, transcript, clock):
    case = start_transcript(engine)
    complete(engine, case.case_id, "receive_application", RECEIVE)
    due = case_row(engine, case.case_id).due_at
    clock.set(due + timedelta(minutes=5))
    complete(engine, case.case_id, "issue_transcript", {"fee_paid": 15})
    row = case_row(engine, case.case_id)
    assert row.served_at == clock.now() and row.overdue_at == due
    # The clock had passed the due date before the command that served the case: found there.
    [breach] = breaches(engine, case.case_id)
    assert datetime.fromisoformat(breach.payload["found_at"]) == clock.now() and breach.payload["served_at"] is None
    assert breach_notices(engine, case.case_id) == TOLD
    assert engine.verify_case(case.case_id).ok


def test_a_calendar_change_that_moves_the_due_date_into_the_past_records_the_breach(engine, transcript, clock):
    """A day the calendar had off becomes a working day (a make-up day declared late): a case
    received before it is due earlier, already past."""
    clock.set(taipei(2026, 3, 6, 16, 50))  # Friday
    case = start_transcript(engine)
    assert case_row(engine, case.case_id).due_at == taipei(2026, 3, 9, 8, 5)  # Monday morning
    clock.set(taipei(2026, 3, 7, 10))  # Saturday, now declared a working day
    engine.catalogue.calendar.add_override(date(2026, 3, 7), True, "補行上班", actor="admin", now=clock.now())
    clock.advance(seconds=1)
    recompute_due_dates(engine, [date(2026, 3, 7)], actor="admin", reason="補行上班")
    row = case_row(engine, case.case_id)
    assert row.due_at == taipei(2026, 3, 7, 8, 5) and row.overdue_at == row.due_at
    assert [e.type for e in events(engine, case.case_id)][-2:] == ["due_date_changed", "case_overdue"]
    assert breach_notices(engine, case.case_id) == TOLD
    assert engine.verify_case(case.case_id).ok


def test_a_breach_found_stands_when_the_due_date_moves_later(timer_engine, clock):
    """Told late is late: the clock paused after the breach gives the paused time back on resume,
    which moves the due date past the moment of service; the service is still late, in its event
    and in the case's status (as the reports judge it)."""
    engine = timer_engine
    clock.set(taipei(2026, 3, 2, 9))
    case = engine.handle(cmd.StartCase("documents_pause", {}, actor="clerk-1", applicant=APPLICANT))
    clock.set(case_row(engine, case.case_id).due_at + timedelta(hours=1))
    complete(engine, case.case_id, "review", {"documents_missing": True})  # breached, then paused
    clock.set(taipei(2026, 3, 12, 9))
    engine.handle(cmd.DeliverMessage(case.case_id, "documents_received", {}))
    assert case_row(engine, case.case_id).due_at > clock.now()  # the paused week given back
    complete(engine, case.case_id, "review", {"documents_missing": False})
    [served] = [e for e in events(engine, case.case_id) if e.type == "service_delivered"]
    assert served.payload["on_time"] is False and len(breaches(engine, case.case_id)) == 1
    row = case_row(engine, case.case_id)
    assert queries.sla_state(row, clock.now(), taipei(2026, 3, 2).tzinfo) == queries.SERVED_LATE
    assert engine.verify_case(case.case_id).ok


def test_a_pause_begun_after_the_due_date_does_not_hide_the_breach(timer_engine, clock):
    engine = timer_engine
    clock.set(taipei(2026, 3, 2, 9))
    case = engine.handle(cmd.StartCase("documents_pause", {}, actor="clerk-1", applicant=APPLICANT))
    due = case_row(engine, case.case_id).due_at
    clock.set(due + timedelta(hours=1))
    complete(engine, case.case_id, "review", {"documents_missing": True})  # pauses, after the due date
    row = case_row(engine, case.case_id)
    assert row.sla_paused_at == clock.now() and row.overdue_at == due
    assert len(breaches(engine, case.case_id)) == 1 and breach_notices(engine, case.case_id) == TOLD
    assert engine.verify_case(case.case_id).ok


def test_a_paused_clock_is_not_breached_and_resumes_with_the_paused_time(timer_engine, clock):
    engine = timer_engine
    clock.set(taipei(2026, 3, 2, 9))
    case = engine.handle(cmd.StartCase("documents_pause", {}, actor="clerk-1", applicant=APPLICANT))
    complete(engine, case.case_id, "review", {"documents_missing": True})
    row = case_row(engine, case.case_id)
    assert row.next_timer_at is None  # paused: nothing to wake for
    clock.set(row.due_at + timedelta(days=7))
    engine.handle(cmd.DeliverMessage(case.case_id, "documents_received", {}))
    row = case_row(engine, case.case_id)
    assert row.overdue_at is None and row.due_at > clock.now() and row.next_timer_at == row.due_at
    complete(engine, case.case_id, "review", {"documents_missing": False})
    row = case_row(engine, case.case_id)
    assert row.status == "completed" and row.served_at == clock.now() and breaches(engine, case.case_id) == []
    assert engine.verify_case(case.case_id).ok


def test_a_move_to_a_version_without_the_timer_still_gets_its_breach(engine, transcript, clock):
    """The case moves while waiting at the receiving step; the engine's own wake-up follows it."""
    from tests.designer.test_case_moves_commands import _new_version_of

    case = start_transcript(engine)
    v2 = _new_version_of(engine, "household_transcript")
    engine.handle(cmd.MoveCase(case.case_id, v2.version, "comment added", actor="designer"))
    due = case_row(engine, case.case_id).due_at
    assert case_row(engine, case.case_id).next_timer_at == due
    clock.set(due + timedelta(seconds=1))
    engine.handle(cmd.FireDueTimers(case.case_id))
    assert len(breaches(engine, case.case_id)) == 1 and breach_notices(engine, case.case_id) == TOLD
    assert open_task(engine, case.case_id, "receive_application")
    assert engine.verify_case(case.case_id).ok
