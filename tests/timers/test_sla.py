"""SLA handling through engine commands: the §51 pause across a holiday, calendar changes while
cases are open, breaches with their outbox messages, reminder cycles and hard deadlines."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bootstrap import build_outbox
from config import Settings
from engine import ProcedureFailed
from engine import commands as cmd
from engine.background import Outbox, SmsAdapter
from engine.storage import Case, DevelopmentMessage, Notification
from tests.engine.helpers import RECEIVE, case_row, complete, events, open_task, open_tasks
from workflows.office_calendar import recompute_due_dates

from .conftest import HERE, taipei


def start(engine, procedure: str, **kwargs):
    return engine.handle(cmd.StartCase(procedure, {}, actor="clerk-1", **kwargs))


def types(engine, case_id: str) -> list[str]:
    return [event.type for event in events(engine, case_id)]


def fire(engine, case_id: str):
    return engine.handle(cmd.FireDueTimers(case_id))


def test_pause_for_documents_across_lunar_new_year_moves_the_due_date(timer_engine, clock):
    engine = timer_engine
    clock.set(taipei(2026, 2, 11, 9))  # Wednesday before Lunar New Year 2026
    case = start(engine, "documents_pause")
    # 3 working days, the day of receipt not counted: Thu 12, Fri 13, (14-22 off), Mon 23.
    assert case_row(engine, case.case_id).due_at == taipei(2026, 2, 23, 17)
    assert open_task(engine, case.case_id, "review").due_at == taipei(2026, 2, 23, 17)

    clock.set(taipei(2026, 2, 12, 10))
    complete(engine, case.case_id, "review", {"documents_missing": True})
    row = case_row(engine, case.case_id)
    assert row.sla_paused_at == clock.now() and row.next_timer_at is None
    assert types(engine, case.case_id)[-2:] == ["task_completed", "sla_paused"]

    clock.set(taipei(2026, 2, 24, 11))  # the documents arrive after the holiday, past the old due date
    engine.handle(cmd.DeliverMessage(case.case_id, "documents_received", {}, actor="applicant"))
    row = case_row(engine, case.case_id)
    # Paused: Fri 13, Mon 23, Tue 24 = 3 working days (the pause day itself not counted):
    # 6 working days after receipt = Thu 26.
    assert row.due_at == taipei(2026, 2, 26, 17) and row.sla_paused_at is None
    assert row.sla_paused_amount == 3 and row.overdue_at is None
    assert row.next_timer_at == taipei(2026, 2, 26, 17)
    resumed = events(engine, case.case_id)[-1]
    assert resumed.type == "sla_resumed"
    assert resumed.payload["paused"] == 3 and resumed.payload["unit"] == "working_days"
    assert resumed.payload["previous_due_at"] == "2026-02-23T17:00:00+08:00"
    assert resumed.payload["due_at"] == "2026-02-26T17:00:00+08:00"
    # The old due date has passed, yet nothing is overdue: the timer follows the new date.
    assert [t.element_id for t in open_tasks(engine, case.case_id)] == ["review"]
    assert fire(engine, case.case_id) is None
    assert engine.case_state(case.case_id)["data"]["sla_due_at"] == "2026-02-26T17:00:00+08:00"
    clock.set(taipei(2026, 2, 26, 17, 0, 1))
    fire(engine, case.case_id)
    assert {t.element_id for t in open_tasks(engine, case.case_id)} == {"review", "review_delay"}
    assert case_row(engine, case.case_id).overdue_at == taipei(2026, 2, 26, 17)
    assert engine.verify_case(case.case_id).ok


def test_override_added_while_cases_are_open_moves_their_due_dates(timer_engine, clock):
    engine = timer_engine
    clock.set(taipei(2026, 3, 2, 9))  # Monday
    open_case = start(engine, "documents_pause")  # due Thu 03-05 17:00
    other = start(engine, "documents_pause")
    complete(engine, other.case_id, "review", {"documents_missing": False})  # closed: not moved
    assert case_row(engine, open_case.case_id).due_at == taipei(2026, 3, 5, 17)

    clock.set(taipei(2026, 3, 3, 7))
    calendar = engine.catalogue.calendar
    added = calendar.add_override(date(2026, 3, 3), False, "颱風停班 typhoon", actor="admin", now=clock.now())
    clock.advance(seconds=1)
    result = recompute_due_dates(engine, added["changed_days"], actor="admin", reason="typhoon closure 2026-03-03")
    assert result == {"checked": 1, "rescheduled": 1}
    row = case_row(engine, open_case.case_id)
    assert row.due_at == taipei(2026, 3, 6, 17) and row.next_timer_at == taipei(2026, 3, 6, 17)
    changed = events(engine, open_case.case_id)[-1]
    assert (changed.type, changed.actor) == ("due_date_changed", "admin")
    assert changed.payload["previous_due_at"] == taipei(2026, 3, 5, 17).isoformat()
    assert changed.payload["reason"] == "typhoon closure 2026-03-03"
    assert open_task(engine, open_case.case_id, "review").due_at == taipei(2026, 3, 6, 17)

    clock.set(taipei(2026, 3, 5, 18))  # past the old date, before the new one
    assert fire(engine, open_case.case_id) is None
    # Recomputing again changes nothing and records nothing.
    assert recompute_due_dates(engine, [date(2026, 3, 3)], actor="admin", reason="again")["rescheduled"] == 0
    assert engine.verify_case(open_case.case_id).ok and engine.verify_case(other.case_id).ok


def test_override_while_a_case_is_paused_applies_when_it_resumes(timer_engine, clock):
    engine = timer_engine
    clock.set(taipei(2026, 3, 2, 9))
    case = start(engine, "documents_pause")
    complete(engine, case.case_id, "review", {"documents_missing": True})
    engine.catalogue.calendar.add_override(date(2026, 3, 4), False, "typhoon", actor="admin", now=clock.now())
    clock.advance(seconds=1)
    recompute_due_dates(engine, [date(2026, 3, 4)], actor="admin", reason="typhoon")
    assert case_row(engine, case.case_id).due_at == taipei(2026, 3, 6, 17)  # Tue, (Wed off), Thu, Fri
    clock.set(taipei(2026, 3, 2, 15))  # documents back the same day: no working day paused
    engine.handle(cmd.DeliverMessage(case.case_id, "documents_received", {}))
    row = case_row(engine, case.case_id)
    assert row.due_at == taipei(2026, 3, 6, 17) and row.next_timer_at == taipei(2026, 3, 6, 17)
    assert engine.verify_case(case.case_id).ok


def breach_transcript(engine, clock, applicant):
    case = engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk-1", applicant=applicant))
    complete(engine, case.case_id, "receive_application", RECEIVE)
    due = case_row(engine, case.case_id).due_at
    clock.set(due)
    assert fire(engine, case.case_id) is None  # at the due instant: not yet
    clock.advance(seconds=1)
    assert fire(engine, case.case_id) is not None
    return case, due


def test_breach_marks_the_case_opens_a_supervisor_task_and_queues_messages_once(engine, transcript, clock):
    applicant = {"name": "王小明", "email": "ming@example.tw", "phone": "0912345678"}
    case, due = breach_transcript(engine, clock, applicant)
    row = case_row(engine, case.case_id)
    assert row.overdue_at == due
    assert open_task(engine, case.case_id, "review_delay").lane == "Supervisor"
    overdue = [e for e in events(engine, case.case_id) if e.type == "case_overdue"]
    assert len(overdue) == 1 and overdue[0].payload["due_at"] == "2026-03-02T09:15:00+08:00"
    assert overdue[0].payload["found_at"] == "2026-03-02T09:15:01+08:00" and overdue[0].payload["served_at"] is None
    with engine.read() as session:
        queued = list(session.scalars(select(Notification).order_by(Notification.id)))
    assert [(n.audience, n.channel, n.recipient) for n in queued] == [
        ("applicant", "email", "ming@example.tw"),
        ("applicant", "sms", "0912345678"),
        ("supervisor", "email", "supervisor@localhost"),
    ]
    assert all(n.status == "pending" for n in queued)
    email = queued[0]
    assert case.number in email.subject and "已超過標準處理時間" in email.body and "has passed that time" in email.body
    assert "A123456789" not in email.body
    assert engine.verify_case(case.case_id).ok

    outbox = build_outbox(Settings(environment="test", database_url=engine.database_url), engine)
    assert outbox.deliver_due() == {"sent": 3, "retry": 0, "failed": 0}
    assert outbox.deliver_due() == {"sent": 0, "retry": 0, "failed": 0}  # sent once
    with engine.read() as session:
        delivered = list(session.scalars(select(DevelopmentMessage)))
        assert len(delivered) == 3 and {n.status for n in session.scalars(select(Notification))} == {"sent"}


def test_outbox_retries_a_failing_adapter_and_never_loses_the_message(engine, transcript, clock):
    case, _due = breach_transcript(engine, clock, {"name": "林小姐", "phone": "0987654321"})
    attempts = []

    def flaky_provider(phone: str, text: str) -> None:
        attempts.append((phone, text))
        if len(attempts) < 3:
            raise ConnectionError("SMS provider unreachable")

    outbox = Outbox(
        engine.db, clock, {"sms": SmsAdapter(flaky_provider)}, max_attempts=5, first_retry=timedelta(seconds=30)
    )
    sms = {"sent": 0, "retry": 1, "failed": 0}
    assert outbox.deliver_due() == {"sent": 0, "retry": 2, "failed": 0}  # the supervisor's email has no adapter
    assert outbox.deliver_due() == {"sent": 0, "retry": 0, "failed": 0}  # not before the retry time
    clock.advance(seconds=31)
    assert outbox.deliver_due() == {"sent": 0, "retry": 2, "failed": 0}
    clock.advance(seconds=61)
    assert outbox.deliver_due()["sent"] == 1
    assert len(attempts) == 3 and attempts[-1][0] == "0987654321" and case.number in attempts[-1][1]
    with engine.read() as session:
        rows = {n.channel: n for n in session.scalars(select(Notification))}
    assert rows["sms"].status == "sent" and rows["sms"].attempts == 3
    assert rows["email"].status == "pending" and "no delivery adapter" in rows["email"].last_error
    del sms


def test_a_sender_that_died_holding_a_message_is_replaced_after_its_lease(engine, transcript, clock):
    breach_transcript(engine, clock, {"name": "王", "phone": "0911000000"})
    sent = []
    outbox = Outbox(
        engine.db, clock, {"sms": SmsAdapter(lambda phone, text: sent.append(phone))}, lease=timedelta(minutes=5)
    )
    sms_id = next(i for i in outbox.due_ids(clock.now(), 10) if _channel(engine, i) == "sms")
    from sqlalchemy import update

    with engine.write() as session:  # a sender claimed it and died before sending
        session.execute(
            update(Notification)
            .where(Notification.id == sms_id)
            .values(status="sending", attempts=1, next_attempt_at=clock.now() + timedelta(minutes=5))
        )
    assert outbox.deliver(sms_id) == "skipped" and sent == []
    clock.advance(minutes=5, seconds=1)
    assert outbox.deliver(sms_id) == "sent" and sent == ["0911000000"]
    assert outbox.deliver(sms_id) == "skipped" and sent == ["0911000000"]


def _channel(engine, notification_id: int) -> str:
    with engine.read() as session:
        return session.get(Notification, notification_id).channel


def test_reminder_cycle_fires_three_times_and_the_hard_deadline_withdraws(timer_engine, clock):
    engine = timer_engine
    clock.set(taipei(2026, 3, 2, 9))  # Monday
    case = start(engine, "reminders_deadline")
    state = engine.case_state(case.case_id)
    # working_days_after(10) in a script: 10 working days after Monday 03-02.
    assert state["data"]["supplement_deadline"] == "2026-03-16T17:00:00+08:00"
    assert case_row(engine, case.case_id).next_timer_at == clock.now() + timedelta(days=2)

    reminders = []
    for cycle in range(1, 5):
        clock.advance(days=2, seconds=1)
        fired = fire(engine, case.case_id)
        reminders = [t for t in open_tasks(engine, case.case_id) if t.element_id == "send_reminder"]
        if cycle <= 3:
            assert fired is not None and len(reminders) == cycle
        else:
            assert fired is None and len(reminders) == 3  # R3: three reminders, not a fourth
    assert open_task(engine, case.case_id, "await_supplement")  # reminders do not interrupt

    clock.set(taipei(2026, 3, 16, 17))
    assert fire(engine, case.case_id) is None
    clock.advance(seconds=1)
    fire(engine, case.case_id)
    assert [t.element_id for t in open_tasks(engine, case.case_id)] == ["send_reminder"] * 3
    assert engine.case_state(case.case_id)["data"]["outcome"] == "withdrawn"
    assert "await_supplement" not in [t.element_id for t in open_tasks(engine, case.case_id)]
    assert engine.verify_case(case.case_id).ok


def test_completing_the_task_in_time_cancels_its_timers(timer_engine, clock):
    engine = timer_engine
    clock.set(taipei(2026, 3, 2, 9))
    case = start(engine, "reminders_deadline")
    complete(engine, case.case_id, "await_supplement", {})
    row = case_row(engine, case.case_id)
    assert row.status == "completed" and row.next_timer_at is None
    assert "timers_fired" not in types(engine, case.case_id)


def test_a_timer_whose_expression_gives_nothing_fails_the_command_naming_the_timer(engine):
    """SpiffWorkflow fails on a None timer date with a plain AttributeError; the engine names
    the element (422 at the API) and writes nothing."""
    source = (HERE / "bpmn" / "reminders_deadline.bpmn").read_text()
    source = source.replace("supplement_deadline = working_days_after(10)", "supplement_deadline = None")
    source = source.replace(
        "<bpmn:timeDate>working_days_after(10)</bpmn:timeDate>", "<bpmn:timeDate>supplement_deadline</bpmn:timeDate>"
    )
    engine.handle(cmd.DeployDefinition({"reminders_deadline.bpmn": source.encode()}, actor="designer"))
    with pytest.raises(ProcedureFailed) as failed:
        start(engine, "reminders_deadline")
    assert failed.value.details["element_id"] == "deadline"
    assert "deadline" in failed.value.message and "AttributeError" in failed.value.message
    with engine.read() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
