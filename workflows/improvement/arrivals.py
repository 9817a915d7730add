"""The arrivals of a real past period, read from the event log: what a what-if run replays.

For each case received in the period: its procedure, channel, applicant and start data, when the
applicant came (the queue ticket's issue for a counter visit, else the receipt), what the clerks
entered at each step (per BPMN element, in order: the document habits are there, e.g.
``documents_presented``), the agencies' answers per operation in order (results and failures),
the documents the applicant brought in each supplement round and how many working days after the
notice, whether the applicant withdrew, and the rating given. Only read: the real cases are
never written (the run happens in a scratch database).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Any

from sqlalchemy import select

from engine import InvalidInput
from engine.audit import Period, reports
from engine.storage import Case, QueueTicket, QueueTicketCase, Rating, queries

from ..calendar import OFFICE_ZONE
from ..reports import SUPPLEMENT_MESSAGE, is_late, office_time

MAX_ARRIVALS = 5000  # a what-if replays at most this many cases (a busy office's month is ~1,300)
EVENT_TYPES = ["case_started", "task_completed", "message_delivered", "service_result_recorded", "case_cancelled"]


@dataclass
class Supplement:
    working_days: int  # after the step that asked for it (the notice), as §48 counts
    at: time  # the office-local time of day it came
    documents: list[str]


@dataclass
class Arrival:
    case_id: str
    number: str
    procedure: str
    channel: str
    came_at: datetime
    applicant: dict[str, Any] | None
    data: dict[str, Any]
    steps: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))  # element -> forms, in order
    answers: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))  # operation -> outcomes
    supplements: list[Supplement] = field(default_factory=list)
    withdrawn_after: int | None = None  # working days after the last notice, if the applicant withdrew
    rating: int | None = None
    rating_hours: float | None = None  # after the case closed
    # What really happened, to set beside the runs.
    status: str = "running"
    on_time: bool | None = None


def read_arrivals(engine, first: date, last: date, procedure: str | None = None) -> list[Arrival]:
    """The cases received in [first, last] (office days), in the order they came."""
    period = Period(first, last, OFFICE_ZONE)
    now = engine.clock.now()
    clock = office_time(engine, now)
    with engine.read() as session:
        cases = reports.cases_received_in(session, period, procedure=procedure)
        if len(cases) > MAX_ARRIVALS:
            raise InvalidInput(
                f"The period holds {len(cases)} cases; a what-if replays at most {MAX_ARRIVALS}",
                errors=[{"field": "to", "message": "choose a shorter period or one procedure"}],
            )
        ids = [case.id for case in cases]
        events = reports.events_of_cases(session, ids, EVENT_TYPES)
        tickets = _ticket_times(session, ids)
        ratings = _ratings(session, ids)
        numbers = dict(session.execute(select(Case.id, Case.number).where(Case.id.in_(ids))).all()) if ids else {}
        tasks = reports.tasks_of_cases(session, ids)
    asked = _asking_moments(tasks)
    arrivals = []
    for case in cases:
        arrival = Arrival(
            case_id=case.id,
            number=numbers.get(case.id, case.number),
            procedure=case.procedure_key,
            channel=case.channel,
            came_at=aware(tickets.get(case.id) or case.received_at),
            applicant=case.applicant,
            data={},
            status=case.status,
        )
        _read_events(arrival, events.get(case.id, ()), asked.get(case.id, []), clock)
        score = ratings.get(case.id)
        if score is not None:
            arrival.rating = score[0]
            closed = case.closed_at or score[1]
            arrival.rating_hours = max(0.0, (aware(score[1]) - aware(closed)).total_seconds() / 3600)
        stop = case.served_at or (case.closed_at if case.status == "completed" else None)
        arrival.on_time = None if stop is None or case.due_at is None else not is_late(case, now)
        arrivals.append(arrival)
    return sorted(arrivals, key=lambda a: (a.came_at, a.number))


def _read_events(arrival: Arrival, events, asked: list[datetime], clock) -> None:
    last_notice: datetime | None = None
    for event in events:
        payload = event.payload or {}
        if event.type == "case_started":
            arrival.data = dict(payload.get("data") or {})
        elif event.type == "task_completed" and event.element_id:
            arrival.steps[event.element_id].append(dict(payload.get("data") or {}))
        elif event.type == "service_result_recorded":
            outcome = {"error": payload["error"]} if payload.get("error") else {"result": payload.get("result")}
            arrival.answers[payload.get("operation") or "?"].append(outcome)
        elif event.type == "message_delivered" and payload.get("name") == SUPPLEMENT_MESSAGE:
            notice = _last_before(asked, event.occurred_at) or arrival.came_at
            last_notice = notice
            local = aware(event.occurred_at).astimezone(OFFICE_ZONE)
            documents = list((payload.get("payload") or {}).get("documents") or [])
            arrival.supplements.append(
                Supplement(clock.working_days(notice, event.occurred_at), local.time(), documents)
            )
        elif event.type == "case_cancelled" and (payload.get("withdrawn") or event.actor == "applicant"):
            notice = _last_before(asked, event.occurred_at) or last_notice or arrival.came_at
            arrival.withdrawn_after = clock.working_days(notice, event.occurred_at)


def _asking_moments(tasks) -> dict[str, list[datetime]]:
    """case id -> when its steps were completed (the notice that asked for documents is the
    last one before each supplement)."""
    moments: dict[str, list[datetime]] = defaultdict(list)
    for task in tasks:
        if task.status == "completed" and task.completed_at is not None:
            moments[task.case_id].append(aware(task.completed_at))
    return {case_id: sorted(items) for case_id, items in moments.items()}


def _last_before(moments: list[datetime], moment: datetime) -> datetime | None:
    before = [item for item in moments if item <= aware(moment)]
    return before[-1] if before else None


def _ticket_times(session, case_ids: list[str]) -> dict[str, datetime]:
    """case id -> when its visitor took the queue ticket (the arrival at the office)."""
    found: dict[str, datetime] = {}
    for start in range(0, len(case_ids), 900):
        rows = session.execute(
            select(QueueTicketCase.case_id, QueueTicket.issued_at)
            .join(QueueTicket, QueueTicket.id == QueueTicketCase.ticket_id)
            .where(QueueTicketCase.case_id.in_(case_ids[start : start + 900]))
        )
        for case_id, issued_at in rows:
            found.setdefault(case_id, issued_at)
    return found


def _ratings(session, case_ids: list[str]) -> dict[str, tuple[int, datetime]]:
    found: dict[str, tuple[int, datetime]] = {}
    for start in range(0, len(case_ids), 900):
        rows = session.execute(
            select(Rating.case_id, Rating.score, Rating.rated_at).where(
                Rating.case_id.in_(case_ids[start : start + 900])
            )
        )
        found.update((case_id, (score, rated_at)) for case_id, score, rated_at in rows)
    return found


def current_bundles(engine) -> dict[str, dict[str, bytes]]:
    """process key -> the files of its newest deployed (not draft) version: what a what-if runs
    the current procedures on."""
    with engine.read() as session:
        latest: dict[str, int] = {}
        for definition in queries.list_definitions(session):
            if not definition.draft:
                latest[definition.process_key] = definition.id
        return {key: queries.definition_files(session, definition_id) for key, definition_id in sorted(latest.items())}


def aware(moment: datetime) -> datetime:
    """SQLite gives back naive UTC datetimes."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
