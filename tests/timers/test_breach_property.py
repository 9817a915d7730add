"""Every breach is detected and told, once, whatever the path (property-based, hypothesis).

Random paths through two procedures (the transcript: 15 minutes at the counter; a procedure that
waits for the applicant's documents with its clock paused) mix steps done early or late, the
scheduler waking the case or not, calendar changes that move the due date back and forth, pauses
and resumes, and moves to a new version. Afterwards the scheduler runs once more, as it always
eventually does. The invariant, checked against a model of the clock built from the case's own
events: the clock stood past the due date in force at some moment (the service came late, or
never came by the last look) if and only if the case has exactly one ``case_overdue`` and its
notices to the applicant and the supervisor are queued; never two.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from engine import Conflict, NotFound
from engine import commands as cmd
from engine.storage import Case, CaseEvent, Notification, queries
from tests.engine.helpers import RECEIVE, open_tasks
from workflows.office_calendar import recompute_due_dates

APPLICANT = {"name": "王小明", "email": "ming@example.tw", "phone": "0912345678"}
CLOCK_EVENTS = ("sla_resumed", "due_date_changed", "sla_extended", "sla_standard_changed")
STEPS = ("wait_minutes", "wait_past_due", "work", "scheduler", "calendar", "move", "documents")


def _case(engine, case_id: str) -> Case:
    with engine.read() as session:
        return session.get(Case, case_id)


def _do_work(engine, case_id: str, missing: bool) -> None:
    """Complete whatever step is open (the clerk's next move)."""
    for task in open_tasks(engine, case_id):
        data = {
            "receive_application": RECEIVE,
            "issue_transcript": {"fee_paid": 15},
            "review": {"documents_missing": missing},
            "review_delay": {"delay_reason": "other", "action": "no_further_action"},
        }.get(task.element_id, {})
        try:
            engine.handle(cmd.CompleteTask(task.id, "clerk-1", data))
        except (Conflict, NotFound):
            continue
        engine.run_due_jobs()
        return


def _scheduler(engine, clock, case_id: str) -> None:
    """What the scheduler does: fire the case when its wake-up time has passed."""
    row = _case(engine, case_id)
    if row.status == "running" and row.next_timer_at is not None and row.next_timer_at < clock.now():
        engine.handle(cmd.FireDueTimers(case_id))


def _calendar_change(engine, clock, day: date, working: bool) -> None:
    engine.catalogue.calendar.add_override(day, working, "property test", actor="admin", now=clock.now())
    clock.advance(seconds=1)
    recompute_due_dates(engine, [day], actor="admin", reason="property test")


def _move(engine, case_id: str) -> None:
    """Deploy the case's procedure again with a comment added (a new version) and move the case."""
    row = _case(engine, case_id)
    if row.status != "running":
        return
    with engine.read() as session:
        files = queries.definition_files(session, row.definition_id)
    stamp = f"<!-- v{len(files)}-{case_id} -->\n".encode()
    files = {name: content + stamp if name.endswith(".bpmn") else content for name, content in files.items()}
    version = engine.handle(cmd.DeployDefinition(files, actor="designer")).definition.version
    try:
        engine.handle(cmd.MoveCase(case_id, version, "property test", actor="designer"))
    except Exception:  # noqa: BLE001 - a case that cannot move stays where it is
        return


def _should_breach(events: list, last_look: datetime) -> bool:
    """The model: walk the events; whenever the clock runs (not paused, not served, the case
    open), it stands at that moment, before and after each event; a breach is due when it ever
    stood past the due date then in force (at an event, at the service, at the start of a pause,
    after a change that moved the due date into the past, or at the scheduler's last look)."""
    state = {"due": None, "paused": None, "served": None, "closed": None}

    def stands_past(at: datetime) -> bool:
        running = state["paused"] is None and state["served"] is None and state["closed"] is None
        return running and state["due"] is not None and at > state["due"]

    stood_past = False
    for event in events:
        at = event.occurred_at
        stood_past = stood_past or stands_past(at)
        if event.type == "case_started":
            value = event.payload["data"].get("sla_due_at")
            state["due"] = datetime.fromisoformat(value) if value else None
        elif event.type in CLOCK_EVENTS:
            state["due"] = datetime.fromisoformat(event.payload["due_at"])
            if event.type == "sla_resumed":
                state["paused"] = None
        elif event.type == "sla_paused":
            state["paused"] = at
        elif event.type == "service_delivered":
            state["served"] = at
        elif event.type in ("case_completed", "case_cancelled"):
            state["closed"] = at
        stood_past = stood_past or stands_past(at)
    return stood_past or stands_past(last_look)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    procedure=st.sampled_from(["household_transcript", "documents_pause"]),
    steps=st.lists(st.tuples(st.sampled_from(STEPS), st.integers(0, 600), st.booleans()), min_size=1, max_size=9),
)
def test_served_after_due_iff_exactly_one_breach_with_its_notices(timer_engine, transcript, clock, procedure, steps):
    engine = timer_engine
    clock.advance(days=1)  # each example on a new morning
    started = engine.handle(cmd.StartCase(procedure, {}, actor="clerk-1", applicant=APPLICANT))
    case_id = started.case_id
    for kind, amount, flag in steps:
        if kind == "wait_minutes":
            clock.advance(minutes=amount)
        elif kind == "wait_past_due":
            due = _case(engine, case_id).due_at
            if due is not None and due > clock.now():
                clock.set(due + timedelta(seconds=1 + amount))
        elif kind == "work":
            _do_work(engine, case_id, missing=flag)
        elif kind == "scheduler":
            _scheduler(engine, clock, case_id)
        elif kind == "calendar":
            # Close a day ahead (the due date moves later) or open a day off (it moves earlier).
            today = clock.now().date()
            day = today + timedelta(days=amount % 7)
            _calendar_change(engine, clock, day, working=flag)
        elif kind == "move":
            _move(engine, case_id)
        elif kind == "documents":
            try:
                engine.handle(cmd.DeliverMessage(case_id, "documents_received", {}, actor="applicant"))
            except (Conflict, NotFound):
                pass
    clock.advance(minutes=1)
    _scheduler(engine, clock, case_id)  # the scheduler always comes by eventually
    last_look = clock.now()
    with engine.read() as session:
        events = list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)))
        notices = sorted(
            (n.audience, n.channel)
            for n in session.scalars(
                select(Notification).where(Notification.case_id == case_id, Notification.kind == "sla_breach")
            )
        )
    breaches = [event for event in events if event.type == "case_overdue"]
    expected = _should_breach(events, last_look)
    story = [(e.seq, e.type, e.occurred_at.isoformat(), (e.payload or {}).get("due_at")) for e in events]
    assert len(breaches) == (1 if expected else 0), (procedure, steps, story)
    if expected:
        assert notices == [("applicant", "email"), ("applicant", "sms"), ("supervisor", "email")]
        assert _case(engine, case_id).overdue_at is not None
    else:
        assert notices == [] and _case(engine, case_id).overdue_at is None
    assert engine.verify_case(case_id).ok
