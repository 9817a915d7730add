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

from engine import InvalidInput
from engine.audit import FeedbackRules, Period, compare_versions, element_feedback, month_of, reports, share, summary

from .calendar import OFFICE_CLOSES, OFFICE_OPENS, OFFICE_ZONE, WorkingCalendar

SUPPLEMENT_MESSAGE = "documents_supplied"
COMPLAINT_PREFIX = "complaint"
LOW_RATING_MAX = 2


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


# ---------------------------------------------------------------------- the reports
def delivered_at(case, last_task_done: dict) -> datetime:
    """When the office finished the case: its last task's completion. A case that afterwards only
    waits for the applicant (a rating) was delivered then, not when it closed."""
    return last_task_done.get(case.id) or case.closed_at


def is_late(case, delivered: datetime | None, now: datetime) -> bool:
    """The engine recorded a breach (an SLA timer fired), or the work ended, or has not ended by
    now, after the due date."""
    if case.overdue_at is not None:
        return True
    return case.due_at is not None and (delivered or now) > case.due_at


def _completed_with_delivery(ctx: ReportContext, **filters) -> list[tuple[Any, datetime]]:
    with ctx.engine.read() as session:
        cases = reports.cases_closed_in(
            session, ctx.period, procedure=ctx.procedure, statuses=("completed",), **filters
        )
        done = reports.last_task_completions(session, [case.id for case in cases])
    return [(case, delivered_at(case, done)) for case in cases]


def sla_compliance(ctx: ReportContext) -> list[dict]:
    """Completed cases by procedure and month of completion: delivered on time or late against
    the due date (which already includes the time the clock was stopped for documents)."""
    groups: dict[tuple, dict] = defaultdict(lambda: {"closed": 0, "on_time": 0, "late": 0, "no_deadline": 0})
    for case, delivered in _completed_with_delivery(ctx):
        row = groups[(case.procedure_key, month_of(case.closed_at, ctx.zone))]
        row["closed"] += 1
        if case.due_at is None and case.overdue_at is None:
            row["no_deadline"] += 1
        else:
            row["late" if is_late(case, delivered, ctx.now) else "on_time"] += 1
    return [
        {"procedure": key[0], "month": key[1], **row, "compliance": share(row["on_time"], row["on_time"] + row["late"])}
        for key, row in sorted(groups.items())
    ]


def backlog(ctx: ReportContext) -> list[dict]:
    """Open cases by procedure now: how many, how many past their due date, how old."""
    with ctx.engine.read() as session:
        cases = reports.open_cases(session, procedure=ctx.procedure)
    groups: dict[str, list] = defaultdict(list)
    for case in cases:
        groups[case.procedure_key].append(case)
    rows = []
    for procedure, items in sorted(groups.items()):
        overdue = [case for case in items if case.due_at is not None and case.due_at < ctx.now]
        ages = [ctx.clock.working_days(case.received_at, ctx.now) for case in items]
        rows.append(
            {
                "procedure": procedure,
                "open": len(items),
                "overdue": len(overdue),
                "overdue_share": share(len(overdue), len(items)),
                "oldest_received_at": min(case.received_at for case in items),
                "age_median_working_days": summary(ages)["median"],
                "overdue_max_working_days": max(
                    (ctx.clock.working_days(c.due_at, ctx.now) for c in overdue), default=None
                ),
            }
        )
    return rows


def processing_time(ctx: ReportContext) -> list[dict]:
    """Completed cases by procedure and month of completion: working days from receipt to
    delivery."""
    groups: dict[tuple, list] = defaultdict(list)
    for case, delivered in _completed_with_delivery(ctx):
        groups[(case.procedure_key, month_of(case.closed_at, ctx.zone))].append(
            ctx.clock.working_days(case.received_at, delivered)
        )
    return [
        {
            "procedure": key[0],
            "month": key[1],
            "cases": len(days),
            **{f"working_days_{name}": value for name, value in summary(days).items() if name != "count"},
        }
        for key, days in sorted(groups.items())
    ]


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
    """Complaint cases by procedure and month of receipt: handled, open, late, handling time."""
    if ctx.procedure is not None and not ctx.procedure.startswith(COMPLAINT_PREFIX):
        return []
    with ctx.engine.read() as session:
        cases = reports.cases_received_in(session, ctx.period, procedure=ctx.procedure, prefix=COMPLAINT_PREFIX)
        done = reports.last_task_completions(session, [case.id for case in cases])
    groups: dict[tuple, list] = defaultdict(list)
    for case in cases:
        groups[(case.procedure_key, month_of(case.received_at, ctx.zone))].append(case)
    return [_complaint_row(key, items, done, ctx) for key, items in sorted(groups.items())]


def _complaint_row(key: tuple, items: list, done: dict, ctx: ReportContext) -> dict:
    handled = [case for case in items if case.status == "completed"]
    late = {
        case.id
        for case in items
        if case.status != "cancelled"
        and is_late(case, delivered_at(case, done) if case.status == "completed" else None, ctx.now)
    }
    handling = summary([ctx.clock.working_days(case.received_at, delivered_at(case, done)) for case in handled])
    return {
        "procedure": key[0],
        "month": key[1],
        "received": len(items),
        "handled": len(handled),
        "open": sum(1 for case in items if case.status == "running"),
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
            "SLA compliance by procedure and month",
            sla_compliance,
            ("procedure", "month", "closed", "on_time", "late", "no_deadline", "compliance"),
        ),
        Report(
            "backlog",
            "Open and overdue cases by procedure",
            backlog,
            (
                "procedure",
                "open",
                "overdue",
                "overdue_share",
                "oldest_received_at",
                "age_median_working_days",
                "overdue_max_working_days",
            ),
        ),
        Report(
            "processing-time",
            "Processing time in working days",
            processing_time,
            ("procedure", "month", "cases", "working_days_median", "working_days_p90", "working_days_mean"),
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
