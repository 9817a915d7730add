"""The office's management reports (管考): SLA compliance, backlog, processing time in working
days, supplement rounds, ratings, complaints, clerk workload, and feedback per BPMN step.

What is the office's own convention lives here:
- a supplement round (補件) is the applicant supplying missing documents: a procedure that waits
  for them catches the BPMN message named ``SUPPLEMENT_MESSAGE``, one delivery per round;
- complaints (陳情) are cases of a procedure whose key starts with ``COMPLAINT_PREFIX``;
- a rating of ``LOW_RATING_MAX`` or less is a low rating;
- processing time is counted in working days of the office calendar as §48 counts periods (the
  day of receipt is not counted; a case finished the day it came took 0 working days), and time
  on a step in office hours.

The generic parts (queries on indexed columns, quantiles, CSV) are in ``engine.reports``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select

from engine import InvalidInput
from engine.audit import FeedbackRules, Period, compare_versions, element_feedback, month_of, reports, share, summary
from engine.storage import QueueTicket, QueueTicketCase, SurveyAnswer

from .calendar import OFFICE_CLOSES, OFFICE_OPENS, OFFICE_ZONE, WorkingCalendar
from .surveys import SATISFIED_MIN, question_label

SUPPLEMENT_MESSAGE = "documents_supplied"
COMPLAINT_PREFIX = "complaint"
LOW_RATING_MAX = 2
NOTICE_ELEMENT = "issue_notice"  # the one-time notice (一次告知) of the shared document check


# ---------------------------------------------------------------------- the office's clock
class OfficeTime:
    """Working days (§48 counting) and office hours between moments, by one calendar; working
    days are counted through a running total per date, so each case costs two look-ups."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self._totals: dict[date, int] = {}
        self._first: date | None = None
        self._last: date | None = None

    def _total(self, day: date) -> int:
        """A running count of working days, so that total(b) - total(a) counts the working days
        after a up to and including b. It starts at 0 on the first day asked and grows both ways."""
        if self._first is None:
            self._first = self._last = day
            self._totals[day] = 0
        while day > self._last:
            self._last += timedelta(days=1)
            self._totals[self._last] = self._totals[self._last - timedelta(days=1)] + self._working(self._last)
        while day < self._first:
            self._totals[self._first - timedelta(days=1)] = self._totals[self._first] - self._working(self._first)
            self._first -= timedelta(days=1)
        return self._totals[day]

    def _working(self, day: date) -> int:
        return int(self.calendar.is_working_day(day))

    def working_days(self, start: datetime, end: datetime) -> int:
        first, last = start.astimezone(OFFICE_ZONE).date(), end.astimezone(OFFICE_ZONE).date()
        return max(0, self._total(last) - self._total(first))

    def office_hours(self, start: datetime, end: datetime) -> float:
        start, end = start.astimezone(OFFICE_ZONE), end.astimezone(OFFICE_ZONE)
        seconds, day = 0.0, start.date()
        while day <= end.date():
            if self.calendar.is_working_day(day):
                opens = max(datetime.combine(day, OFFICE_OPENS, OFFICE_ZONE), start)
                closes = min(datetime.combine(day, OFFICE_CLOSES, OFFICE_ZONE), end)
                seconds += max(0.0, (closes - opens).total_seconds())
            day += timedelta(days=1)
        return round(seconds / 3600, 4)


def office_time(engine, now: datetime) -> OfficeTime:
    """The office calendar as known now (imported editions and overrides, when the catalogue
    has them), else the built-in one."""
    calendar = getattr(engine.catalogue, "calendar", None)
    if hasattr(calendar, "as_of"):
        calendar = calendar.as_of(now)
    return OfficeTime(calendar if isinstance(calendar, WorkingCalendar) else WorkingCalendar())


@dataclass(frozen=True)
class ReportContext:
    engine: Any
    period: Period
    procedure: str | None
    now: datetime
    clock: OfficeTime

    @property
    def zone(self) -> ZoneInfo:
        return self.period.zone


# ---------------------------------------------------------------------- the SLA point
def clock_stop(case) -> datetime | None:
    """Where the case's SLA clock stopped for good: at the service (the element marked
    serviceDelivered), or, for a case that closed without it (refused, withdrawn), at its
    closing, or at the start of the pause it closed in (waiting for documents never brought).
    None: the clock still runs (or is paused) on an open case."""
    if case.served_at is not None:
        return case.served_at
    if case.status in reports.CLOSED:
        return case.sla_paused_at or case.closed_at
    return None


def is_late(case, now: datetime) -> bool:
    """The engine recorded a breach, or the clock stopped (or, still running, stands now) after
    the due date. A paused clock stands where the pause began."""
    if case.overdue_at is not None:
        return True
    if case.due_at is None:
        return False
    return (clock_stop(case) or case.sla_paused_at or now) > case.due_at


def judged_cases(ctx: ReportContext, *, prefix: str | None = None) -> list:
    """Cases whose SLA clock stopped in the period: served in it, or completed in it without
    being served (a refusal, a withdrawal for documents never brought). Cancelled cases are
    the applicant's decision and are not judged."""
    with ctx.engine.read() as session:
        served = reports.cases_served_in(session, ctx.period, procedure=ctx.procedure, prefix=prefix)
        closed = reports.cases_closed_in(
            session, ctx.period, procedure=ctx.procedure, prefix=prefix, statuses=("completed",)
        )
    return [*served, *(case for case in closed if case.served_at is None)]


def standard_unit(engine, case) -> str | None:
    standard = engine.catalogue.standard_time(case.procedure_key, channel=case.channel, variant=case.sla_standard)
    return (standard or {}).get("unit")


MINUTE_UNITS = ("minutes", "office_hours")


# ---------------------------------------------------------------------- the reports
def sla_compliance(ctx: ReportContext) -> list[dict]:
    """Cases by procedure, channel and month where their clock stopped: served (or closed
    unserved) by the due date, or late (which already includes the time the clock was stopped
    for documents). ``breaches`` counts the breaches the engine recorded (and told)."""
    groups: dict[tuple, dict] = defaultdict(
        lambda: {"judged": 0, "on_time": 0, "late": 0, "no_deadline": 0, "not_served": 0, "breaches": 0}
    )
    for case in judged_cases(ctx):
        row = groups[(case.procedure_key, case.channel, month_of(clock_stop(case), ctx.zone))]
        row["judged"] += 1
        row["not_served"] += case.served_at is None
        row["breaches"] += case.overdue_at is not None
        if case.due_at is None and case.overdue_at is None:
            row["no_deadline"] += 1
        else:
            row["late" if is_late(case, ctx.now) else "on_time"] += 1
    return [
        {
            "procedure": key[0],
            "channel": key[1],
            "month": key[2],
            **row,
            "compliance": share(row["on_time"], row["on_time"] + row["late"]),
        }
        for key, row in sorted(groups.items())
    ]


def backlog(ctx: ReportContext) -> list[dict]:
    """Open cases by procedure now: how many are not served yet, how many of those are past
    their due date (a paused clock is not), how old."""
    with ctx.engine.read() as session:
        cases = reports.open_cases(session, procedure=ctx.procedure)
    groups: dict[str, list] = defaultdict(list)
    for case in cases:
        groups[case.procedure_key].append(case)
    rows = []
    for procedure, items in sorted(groups.items()):
        waiting = [case for case in items if case.served_at is None]
        overdue = [case for case in waiting if case.due_at is not None and is_late(case, ctx.now)]
        ages = [ctx.clock.working_days(case.received_at, ctx.now) for case in waiting]
        rows.append(
            {
                "procedure": procedure,
                "open": len(items),
                "not_served": len(waiting),
                "overdue": len(overdue),
                "overdue_share": share(len(overdue), len(waiting)),
                "oldest_received_at": min((case.received_at for case in waiting), default=None),
                "age_median_working_days": summary(ages)["median"],
                "overdue_max_working_days": max(
                    (ctx.clock.working_days(c.due_at, ctx.now) for c in overdue), default=None
                ),
            }
        )
    return rows


def processing_time(ctx: ReportContext) -> list[dict]:
    """Cases judged in the period by procedure, channel and month: receipt to the SLA point in
    working days (§48), and in office minutes where the standard is counted in minutes or
    office hours (a same-visit service is measured at the counter's scale)."""
    groups: dict[tuple, list] = defaultdict(list)
    for case in judged_cases(ctx):
        groups[(case.procedure_key, case.channel, month_of(clock_stop(case), ctx.zone))].append(case)
    rows = []
    for key, cases in sorted(groups.items()):
        stop = [(case, clock_stop(case)) for case in cases]
        days = summary([ctx.clock.working_days(case.received_at, end) for case, end in stop])
        units = {standard_unit(ctx.engine, case) for case in cases}
        in_minutes = bool(units & set(MINUTE_UNITS))
        minutes = summary(
            [round(ctx.clock.office_hours(case.received_at, end) * 60, 1) for case, end in stop] if in_minutes else []
        )
        rows.append(
            {
                "procedure": key[0],
                "channel": key[1],
                "month": key[2],
                "cases": len(cases),
                "unit": "/".join(sorted(unit for unit in units if unit)) or None,
                **{f"working_days_{name}": value for name, value in days.items() if name != "count"},
                **{f"minutes_{name}": value for name, value in minutes.items() if name != "count"},
            }
        )
    return rows


def supplement_rounds(ctx: ReportContext) -> list[dict]:
    """Cases by procedure and month of receipt: how many needed documents supplied, how often."""
    with ctx.engine.read() as session:
        cases = reports.cases_received_in(session, ctx.period, procedure=ctx.procedure)
        rounds = reports.messages_per_case(session, [case.id for case in cases], [SUPPLEMENT_MESSAGE])
    groups: dict[tuple, list[int]] = defaultdict(list)
    for case in cases:
        groups[(case.procedure_key, month_of(case.received_at, ctx.zone))].append(len(rounds.get(case.id, ())))
    return [
        {
            "procedure": key[0],
            "month": key[1],
            "cases": len(counts),
            "cases_with_supplement": sum(1 for count in counts if count),
            "supplement_share": share(sum(1 for count in counts if count), len(counts)),
            "rounds": sum(counts),
            "rounds_per_case": round(sum(counts) / len(counts), 3),
            "max_rounds": max(counts),
        }
        for key, counts in sorted(groups.items())
    ]


def ratings(ctx: ReportContext) -> list[dict]:
    """Ratings by procedure, channel (counter, online, home visit) and month of rating."""
    with ctx.engine.read() as session:
        rows = reports.ratings_in(session, ctx.period, procedure=ctx.procedure)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for row in rows:
        groups[(row.procedure_key, row.channel, month_of(row.rated_at, ctx.zone))].append(row.score)
    return [
        {
            "procedure": key[0],
            "channel": key[1],
            "month": key[2],
            "ratings": len(scores),
            "mean": round(sum(scores) / len(scores), 3),
            "low": sum(1 for s in scores if s <= LOW_RATING_MAX),
            "low_share": share(sum(1 for s in scores if s <= LOW_RATING_MAX), len(scores)),
            **{f"score_{n}": scores.count(n) for n in range(1, 6)},
        }
        for key, scores in sorted(groups.items())
    ]


def complaints(ctx: ReportContext) -> list[dict]:
    """Complaint cases by procedure and month of receipt: answered, open, late, time to the answer."""
    if ctx.procedure is not None and not ctx.procedure.startswith(COMPLAINT_PREFIX):
        return []
    with ctx.engine.read() as session:
        cases = reports.cases_received_in(session, ctx.period, procedure=ctx.procedure, prefix=COMPLAINT_PREFIX)
    groups: dict[tuple, list] = defaultdict(list)
    for case in cases:
        groups[(case.procedure_key, month_of(case.received_at, ctx.zone))].append(case)
    return [_complaint_row(key, items, ctx) for key, items in sorted(groups.items())]


def _complaint_row(key: tuple, items: list, ctx: ReportContext) -> dict:
    handled = [case for case in items if case.status != "cancelled" and clock_stop(case) is not None]
    late = {case.id for case in items if case.status != "cancelled" and is_late(case, ctx.now)}
    handling = summary([ctx.clock.working_days(case.received_at, clock_stop(case)) for case in handled])
    return {
        "procedure": key[0],
        "month": key[1],
        "received": len(items),
        "handled": len(handled),
        "open": sum(1 for case in items if case.status == "running" and clock_stop(case) is None),
        "cancelled": sum(1 for case in items if case.status == "cancelled"),
        "late": len(late),
        "handled_on_time_share": share(sum(1 for case in handled if case.id not in late), len(handled)),
        "handling_median_working_days": handling["median"],
        "handling_p90_working_days": handling["p90"],
    }


def clerk_workload(ctx: ReportContext) -> list[dict]:
    """Tasks completed per clerk and month, with the office hours from inbox to completion."""
    with ctx.engine.read() as session:
        rows = reports.tasks_completed_in(session, ctx.period, procedure=ctx.procedure)
    groups: dict[tuple, list] = defaultdict(list)
    for row in rows:
        groups[(row.completed_by or "(unknown)", month_of(row.completed_at, ctx.zone))].append(row)
    return [
        {
            "actor": key[0],
            "month": key[1],
            "tasks_completed": len(items),
            "cases": len({item.case_id for item in items}),
            "procedures": len({item.procedure_key for item in items}),
            "turnaround_median_office_hours": summary(
                [ctx.clock.office_hours(item.created_at, item.completed_at) for item in items]
            )["median"],
        }
        for key, items in sorted(groups.items())
    ]


def step_feedback(ctx: ReportContext) -> list[dict]:
    """Per BPMN element and definition version (needs a procedure): see ``engine.feedback``."""
    if ctx.procedure is None:
        raise InvalidInput(
            "The step feedback report is per procedure: give one",
            errors=[{"field": "procedure", "message": "required for this report"}],
        )
    rules = FeedbackRules(ctx.clock.office_hours, [SUPPLEMENT_MESSAGE], LOW_RATING_MAX)
    return element_feedback(ctx.engine, ctx.procedure, ctx.period, rules, ctx.now)


RECEIVE_ELEMENT = "receive_application"


UNCLASSIFIED = "unclassified"


def complaints_by_category(ctx: ReportContext) -> list[dict]:
    """Complaints received in the period by category and source (how they came), with the
    answer time in working days (to the service point: the answer sent)."""
    with ctx.engine.read() as session:
        cases = reports.cases_received_in(session, ctx.period, prefix=COMPLAINT_PREFIX)
        received = reports.events_of_cases(session, [case.id for case in cases], ["task_completed"])
    groups: dict[tuple, dict] = defaultdict(lambda: {"received": 0, "answered": 0, "answered_on_time": 0, "_days": []})
    for case in cases:
        form = next(
            (e.payload.get("data") or {} for e in received.get(case.id, ()) if e.element_id == RECEIVE_ELEMENT), {}
        )
        # A complaint not yet received by a clerk (an online one awaiting review) has no category.
        row = groups[(form.get("category") or UNCLASSIFIED, form.get("channel_received") or case.channel)]
        row["received"] += 1
        stop = clock_stop(case) if case.status != "cancelled" else None
        if stop is not None:
            row["answered"] += 1
            row["answered_on_time"] += not is_late(case, ctx.now)
            row["_days"].append(ctx.clock.working_days(case.received_at, stop))
    return [
        {
            "category": key[0],
            "source": key[1],
            **row,
            "answer_median_working_days": summary(row["_days"])["median"],
        }
        for key, row in sorted(groups.items())
    ]


def queue_tickets_in(engine, period: Period) -> list[dict]:
    """Tickets issued in the period with their waiting and service minutes and linked cases. For
    some offices only (a report's office scope), the tickets that led to their cases: tickets carry
    no office of their own yet."""
    linked = reports.of_cases_in_scope(QueueTicketCase.case_id)
    in_scope = [QueueTicket.id.in_(select(QueueTicketCase.ticket_id).where(*linked))] if linked else []
    with engine.read() as session:
        rows = session.scalars(
            select(QueueTicket).where(
                QueueTicket.issued_at >= period.start, QueueTicket.issued_at < period.end, *in_scope
            )
        ).all()
        links: dict[int, list[str]] = defaultdict(list)
        ids = [row.id for row in rows]
        for start in range(0, len(ids), 900):
            for ticket_id, case_id in session.execute(
                select(QueueTicketCase.ticket_id, QueueTicketCase.case_id).where(
                    QueueTicketCase.ticket_id.in_(ids[start : start + 900])
                )
            ):
                links[ticket_id].append(case_id)
        return [
            {
                "id": row.id,
                "number": row.number,
                "service": row.service,
                "status": row.status,
                "counter": row.counter,
                "issued_at": row.issued_at,
                "hour": row.issued_at.astimezone(OFFICE_ZONE).hour,
                "waiting_minutes": _minutes(row.issued_at, row.called_at),
                "service_minutes": _minutes(row.started_at or row.called_at, row.finished_at)
                if row.status == "done"
                else None,
                "case_ids": links.get(row.id, []),
            }
            for row in rows
        ]


def _minutes(start, end) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds() / 60


def counter_queue(ctx: ReportContext) -> list[dict]:
    """Queue tickets issued in the period by kind of service, counter and hour of issue: served,
    not there when called, waiting and service minutes."""
    groups: dict[tuple, list] = defaultdict(list)
    for ticket in queue_tickets_in(ctx.engine, ctx.period):
        groups[(ticket["service"], ticket["counter"] or "-", ticket["hour"])].append(ticket)
    rows = []
    for (service, counter, hour), tickets in sorted(groups.items()):
        waits = summary([t["waiting_minutes"] for t in tickets if t["waiting_minutes"] is not None], 1)
        served = summary([t["service_minutes"] for t in tickets if t["service_minutes"] is not None], 1)
        rows.append(
            {
                "service": service,
                "counter": counter,
                "hour": hour,
                "tickets": len(tickets),
                "served": sum(1 for t in tickets if t["status"] == "done"),
                "no_shows": sum(1 for t in tickets if t["status"] == "no_show"),
                "still_waiting": sum(1 for t in tickets if t["status"] == "waiting"),
                "waiting_median_minutes": waits["median"],
                "waiting_p90_minutes": waits["p90"],
                "service_median_minutes": served["median"],
                "service_p90_minutes": served["p90"],
            }
        )
    return rows


def complaint_categories(ctx: ReportContext) -> list[dict]:
    """Complaints by category and source, with how many were answered on time and how fast."""
    rows = complaints_by_category(ctx)
    for row in rows:
        row.pop("_days", None)
    return rows


def surveys(ctx: ReportContext) -> list[dict]:
    """Survey answers by month, question set (by channel) and question: answers, mean, share
    satisfied (4-5); the months side by side are the trend."""
    from sqlalchemy import select

    with ctx.engine.read() as session:
        answers = session.execute(
            select(SurveyAnswer.survey, SurveyAnswer.question, SurveyAnswer.score, SurveyAnswer.answered_at).where(
                SurveyAnswer.answered_at >= ctx.period.start,
                SurveyAnswer.answered_at < ctx.period.end,
                *reports.of_cases_in_scope(SurveyAnswer.case_id),
            )
        ).all()
    groups: dict[tuple, list[int]] = defaultdict(list)
    for answer in answers:
        groups[(month_of(answer.answered_at, ctx.zone), answer.survey, answer.question)].append(answer.score)
    return [
        {
            "month": key[0],
            "survey": key[1],
            "question": key[2],
            "question_zh": question_label(key[2])[0],
            "question_en": question_label(key[2])[1],
            "answers": len(scores),
            "mean": round(sum(scores) / len(scores), 2),
            "satisfied_share": share(sum(1 for s in scores if s >= SATISFIED_MIN), len(scores)),
        }
        for key, scores in sorted(groups.items())
    ]


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    build: Callable[[ReportContext], list[dict]]
    columns: tuple[str, ...]


REPORTS = {
    report.name: report
    for report in (
        Report(
            "sla",
            "SLA compliance by procedure, channel and month (at the service point)",
            sla_compliance,
            (
                "procedure",
                "channel",
                "month",
                "judged",
                "on_time",
                "late",
                "no_deadline",
                "not_served",
                "breaches",
                "compliance",
            ),
        ),
        Report(
            "backlog",
            "Open and overdue cases by procedure",
            backlog,
            (
                "procedure",
                "open",
                "not_served",
                "overdue",
                "overdue_share",
                "oldest_received_at",
                "age_median_working_days",
                "overdue_max_working_days",
            ),
        ),
        Report(
            "processing-time",
            "Processing time to the service point, in working days and office minutes",
            processing_time,
            (
                "procedure",
                "channel",
                "month",
                "cases",
                "unit",
                "working_days_median",
                "working_days_p90",
                "working_days_mean",
                "minutes_median",
                "minutes_p90",
                "minutes_mean",
            ),
        ),
        Report(
            "supplements",
            "Supplement rounds per case",
            supplement_rounds,
            (
                "procedure",
                "month",
                "cases",
                "cases_with_supplement",
                "supplement_share",
                "rounds",
                "rounds_per_case",
                "max_rounds",
            ),
        ),
        Report(
            "ratings",
            "Ratings by procedure, channel and month",
            ratings,
            (
                "procedure",
                "channel",
                "month",
                "ratings",
                "mean",
                "low",
                "low_share",
                "score_1",
                "score_2",
                "score_3",
                "score_4",
                "score_5",
            ),
        ),
        Report(
            "complaints",
            "Complaints and their handling time",
            complaints,
            (
                "procedure",
                "month",
                "received",
                "handled",
                "open",
                "cancelled",
                "late",
                "handled_on_time_share",
                "handling_median_working_days",
                "handling_p90_working_days",
            ),
        ),
        Report(
            "queue",
            "Counter queue: tickets by service, counter and hour, waiting and service minutes",
            counter_queue,
            (
                "service",
                "counter",
                "hour",
                "tickets",
                "served",
                "no_shows",
                "still_waiting",
                "waiting_median_minutes",
                "waiting_p90_minutes",
                "service_median_minutes",
                "service_p90_minutes",
            ),
        ),
        Report(
            "complaint-categories",
            "Complaints by category and source, with their answer times",
            complaint_categories,
            (
                "category",
                "source",
                "received",
                "answered",
                "answered_on_time",
                "answer_median_working_days",
            ),
        ),
        Report(
            "surveys",
            "Satisfaction surveys by month, service type and question",
            surveys,
            ("month", "survey", "question", "question_zh", "question_en", "answers", "mean", "satisfied_share"),
        ),
        Report(
            "workload",
            "Tasks completed per clerk",
            clerk_workload,
            ("actor", "month", "tasks_completed", "cases", "procedures", "turnaround_median_office_hours"),
        ),
        Report(
            "steps",
            "Feedback per BPMN step and version",
            step_feedback,
            (
                "procedure",
                "version",
                "element_id",
                "element_name",
                "instances",
                "completed",
                "waiting_median",
                "waiting_p90",
                "working_median",
                "working_p90",
                "supplement_rounds",
                "supplement_rate",
                "breaches",
                "breach_rate",
                "rated",
                "low_ratings",
                "low_rating_rate",
            ),
        ),
    )
}


def run_report(
    engine,
    name: str,
    *,
    first: date | None = None,
    last: date | None = None,
    procedure: str | None = None,
    zone: ZoneInfo = OFFICE_ZONE,
) -> dict[str, Any]:
    """One report as JSON-able data; the period defaults to the current month so far."""
    report = REPORTS.get(name)
    if report is None:
        raise InvalidInput(
            f"There is no report '{name}'", errors=[{"field": "report", "message": f"one of {', '.join(REPORTS)}"}]
        )
    now = engine.clock.now()
    default = reports.current_month(now, zone)
    period = Period(
        first or default.first, last or (default.last if first is None else now.astimezone(zone).date()), zone
    )
    ctx = ReportContext(engine, period, procedure, now, office_time(engine, now))
    rows = [{key: _plain(value) for key, value in row.items()} for row in report.build(ctx)]
    result = {
        "report": report.name,
        "title": report.title,
        "generated_at": now,
        "period": period.as_dict(),
        "procedure": procedure,
        "columns": list(report.columns),
        "rows": rows,
    }
    if report.name == "steps":
        result["versions"] = compare_versions(rows)
    return result


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def report_csv(result: dict[str, Any]) -> str:
    return reports.to_csv(result["rows"], result["columns"])
