"""The management report (管考) of a period, one row per procedure: volume, SLA compliance at
the service point (overall and per channel), processing time in working days and office
minutes, breaches and the notices that told them, one-time-notice rounds, documents replaced by
agency checks, the counter queue's waiting and service minutes, supplement rounds, ratings with
their weekly trend and share satisfied, complaints with their handling time; then the month's
review indicators against the office's targets (red/amber/green). Built from the office's report
pieces (``workflows.reports``, ``workflows.review``), so the simulation's figures are the ones
the office would see.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from engine.audit import Period, reports, share, summary
from engine.storage import QueueTicket

from ..calendar import OFFICE_ZONE
from ..reports import (
    LOW_RATING_MAX,
    MINUTE_UNITS,
    clock_stop,
    is_late,
    office_time,
    queue_tickets_in,
    run_report,
    standard_unit,
)
from ..review import CHANNELS, NOTICE_ELEMENT, PAPER_REPLACED, monthly_review
from ..surveys import SATISFIED_MIN

ALL = "(all)"
# Breaches told, the one-time notice, papers saved, the counter: in the CSV and a table of their own.
TOLD_AND_COUNTER = (
    "breaches",
    "breach_notices_applicant",
    "breach_notices_applicant_sent",
    "breach_notices_supervisor",
    "breaches_without_contact",
    "notice_rounds",
    "cases_with_notice",
    "cases_more_than_one_notice",
    "papers_saved",
    "tickets",
    "waiting_minutes_median",
    "waiting_minutes_p90",
    "service_minutes_median",
)
# Their counts, added up over the procedures; the minutes are the total row's own, over all visits.
SUMMED = tuple(name for name in TOLD_AND_COUNTER if "minutes" not in name)
COUNTER_OVERALL = tuple(name for name in TOLD_AND_COUNTER if "minutes" in name)
COLUMNS = (
    "procedure",
    "received",
    "completed",
    "open",
    "cancelled",
    "on_time",
    "late",
    "sla_compliance",
    "sla_compliance_counter",
    "sla_compliance_online",
    "sla_compliance_home_visit",
    "standard_unit",
    "working_days_median",
    "working_days_p90",
    "minutes_median",
    "minutes_p90",
    *TOLD_AND_COUNTER,
    "supplement_rounds",
    "supplement_rounds_per_case",
    "cases_with_supplement",
    "ratings",
    "rating_mean",
    "rating_weekly",
    "rating_trend",
    "low_ratings",
    "satisfied_share",
    "complaints_received",
    "complaints_handled",
    "complaint_handling_median_working_days",
    "complaint_handling_p90_working_days",
)


def management_report(engine, first: date, last: date) -> dict[str, Any]:
    """The report of the cases received from ``first`` to ``last`` (office dates, inclusive)."""
    period = Period(first, last, OFFICE_ZONE)
    rows: dict[str, dict[str, Any]] = defaultdict(dict)
    _volumes(engine, period, rows)
    service_figures(engine, period, rows)
    for name, merge in (
        ("supplements", _supplements),
        ("complaints", _complaints),
    ):
        for item in run_report(engine, name, first=first, last=last)["rows"]:
            merge(rows[item["procedure"]], item)
    _ratings(engine, period, rows)
    everything = rows.pop(ALL, {})  # the ratings of all procedures together
    ordered = [{"procedure": key, **_defaults(values)} for key, values in sorted(rows.items())]
    return {
        "period": period.as_dict(),
        "columns": list(COLUMNS),
        "rows": [*ordered, _total(ordered, everything)],
        "review": monthly_review(engine, first)["indicators"],
    }


def _defaults(values: dict) -> dict:
    counts = (
        "received",
        "completed",
        "open",
        "cancelled",
        "on_time",
        "late",
        *SUMMED,
        "supplement_rounds",
        "cases_with_supplement",
        "ratings",
        "low_ratings",
    )
    return {**{name: 0 for name in counts}, **values}


def _volumes(engine, period: Period, rows) -> None:
    with engine.read() as session:
        for case in reports.cases_received_in(session, period):
            row = rows[case.procedure_key]
            row["received"] = row.get("received", 0) + 1
            status = {"running": "open"}.get(case.status, case.status)
            row[status] = row.get(status, 0) + 1


def service_figures(engine, period: Period, rows) -> None:
    """Per procedure, of the cases received in the period: the SLA at the service point (on time,
    late, per channel), time to it, breaches and the notices that told them, notice rounds,
    documents replaced by agency checks, and the counter tickets of their visits."""
    now = engine.clock.now()
    clock = office_time(engine, now)
    with engine.read() as session:
        cases = reports.cases_received_in(session, period)
        ids = [case.id for case in cases]
        events = reports.events_of_cases(session, ids, ["task_completed", "service_result_recorded"])
        told = reports.notifications_of_cases(session, ids, "sla_breach")
    tickets = _tickets_by_case(engine)
    by_procedure: dict[str, list] = defaultdict(list)
    for case in cases:
        by_procedure[case.procedure_key].append(case)
    for procedure, items in by_procedure.items():
        row = rows[procedure]
        judged = [c for c in items if clock_stop(c) is not None and c.status != "cancelled" and c.due_at is not None]
        late = [c for c in judged if is_late(c, now)]
        row["on_time"], row["late"] = len(judged) - len(late), len(late)
        row["sla_compliance"] = share(len(judged) - len(late), len(judged))
        _per_channel(row, judged, now)
        units = {standard_unit(engine, c) for c in items if c.channel == "counter"} - {None}
        row["standard_unit"] = "/".join(sorted(units)) or None
        stopped = [(c, clock_stop(c)) for c in items if clock_stop(c) is not None and c.status != "cancelled"]
        days = summary([clock.working_days(c.received_at, end) for c, end in stopped])
        row["working_days_median"], row["working_days_p90"] = days["median"], days["p90"]
        timed = [c for c, _end in stopped if standard_unit(engine, c) in MINUTE_UNITS]
        minutes = summary([round(clock.office_hours(c.received_at, clock_stop(c)) * 60, 1) for c in timed], 1)
        row["minutes_median"], row["minutes_p90"] = minutes["median"], minutes["p90"]
        breached = [c for c in items if c.overdue_at is not None]
        row["breaches"] = len(breached)
        row["breach_notices_applicant"] = sum(1 for c in breached if _told(told, c.id, "applicant"))
        row["breach_notices_applicant_sent"] = sum(1 for c in breached if _told(told, c.id, "applicant", "sent"))
        row["breach_notices_supervisor"] = sum(1 for c in breached if _told(told, c.id, "supervisor"))
        row["breaches_without_contact"] = sum(1 for c in breached if not _contact(c))
        rounds = [
            sum(1 for e in events.get(c.id, ()) if e.type == "task_completed" and e.element_id == NOTICE_ELEMENT)
            for c in items
        ]
        row["notice_rounds"] = sum(rounds)
        row["cases_with_notice"] = sum(1 for r in rounds if r)
        row["cases_more_than_one_notice"] = sum(1 for r in rounds if r > 1)
        row["papers_saved"] = sum(_papers(events.get(c.id, ())) for c in items)
        _counter(row, [tickets[c.id] for c in items if c.id in tickets])
    # The total row: its channels and its counter visits over all procedures together.
    everything = rows[ALL]
    _per_channel(
        everything,
        [c for c in cases if clock_stop(c) is not None and c.status != "cancelled" and c.due_at is not None],
        now,
    )
    _counter(everything, [tickets[c.id] for c in cases if c.id in tickets])


def _per_channel(row: dict, judged: list, now) -> None:
    for channel in CHANNELS:
        mine = [c for c in judged if c.channel == channel]
        row[f"sla_compliance_{channel}"] = share(sum(1 for c in mine if not is_late(c, now)), len(mine))


def _counter(row: dict, visits: list[dict]) -> None:
    """The counter visits (tickets) of the row's cases: waiting and service minutes."""
    waits = summary([t["waiting_minutes"] for t in visits if t["waiting_minutes"] is not None], 1)
    served = summary([t["service_minutes"] for t in visits if t["service_minutes"] is not None], 1)
    row["tickets"] = len(visits)
    row["waiting_minutes_median"], row["waiting_minutes_p90"] = waits["median"], waits["p90"]
    row["service_minutes_median"] = served["median"]


def _told(told: dict, case_id: str, audience: str, status: str | None = None) -> bool:
    """A breach notice to ``audience`` was queued (with ``status``: and is now in that status)."""
    return any(n.audience == audience and status in (None, n.status) for n in told.get(case_id, ()))


def _contact(case) -> bool:
    applicant = case.applicant or {}
    return bool(applicant.get("email") or applicant.get("phone"))


def _papers(events) -> int:
    saved = 0
    for event in events:
        payload = event.payload or {}
        rule = PAPER_REPLACED.get(payload.get("operation")) if event.type == "service_result_recorded" else None
        if rule and isinstance(payload.get("result"), dict) and rule[1](payload["result"]):
            saved += 1
    return saved


def _tickets_by_case(engine) -> dict[str, dict]:
    found = {}
    with engine.read() as session:
        first = session.scalar(select(func.min(QueueTicket.issued_at)))
        last = session.scalar(select(func.max(QueueTicket.issued_at)))
    if first is None:
        return found
    period = Period(first.astimezone(OFFICE_ZONE).date(), last.astimezone(OFFICE_ZONE).date(), OFFICE_ZONE)
    for ticket in queue_tickets_in(engine, period):
        for case_id in ticket["case_ids"]:
            found[case_id] = ticket
    return found


def _supplements(row: dict, item: dict) -> None:
    row["supplement_rounds"] = row.get("supplement_rounds", 0) + item["rounds"]
    row["cases_with_supplement"] = row.get("cases_with_supplement", 0) + item["cases_with_supplement"]
    row["supplement_rounds_per_case"] = item["rounds_per_case"]


def _complaints(row: dict, item: dict) -> None:
    row["complaints_received"] = item["received"]
    row["complaints_handled"] = item["handled"]
    row["complaint_handling_median_working_days"] = item["handling_median_working_days"]
    row["complaint_handling_p90_working_days"] = item["handling_p90_working_days"]


def _ratings(engine, period: Period, rows) -> None:
    """Mean score, and the mean of each week (from the period's first day) with its trend: the
    least-squares slope of the weekly means, in points per week."""
    with engine.read() as session:
        ratings = reports.ratings_in(session, period)
    weekly: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for rating in ratings:
        week = (rating.rated_at.astimezone(OFFICE_ZONE).date() - period.first).days // 7
        weekly[rating.procedure_key][week].append(rating.score)
        weekly[ALL][week].append(rating.score)
    weeks = range((period.last - period.first).days // 7 + 1)
    for procedure, by_week in weekly.items():
        scores = [score for items in by_week.values() for score in items]
        means = {week: sum(by_week[week]) / len(by_week[week]) for week in weeks if by_week.get(week)}
        row = rows[procedure]
        row["ratings"] = len(scores)
        row["rating_mean"] = round(sum(scores) / len(scores), 2)
        row["low_ratings"] = sum(1 for score in scores if score <= LOW_RATING_MAX)
        row["satisfied_share"] = share(sum(1 for score in scores if score >= SATISFIED_MIN), len(scores))
        row["rating_weekly"] = " ".join(f"{means[week]:.2f}" if week in means else "-" for week in weeks)
        row["rating_trend"] = _slope(means)


def _slope(means: dict[int, float]) -> float | None:
    if len(means) < 2:
        return None
    xs, ys = list(means), list(means.values())
    x_mean, y_mean = sum(xs) / len(xs), sum(ys) / len(ys)
    return round(sum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys)) / sum((x - x_mean) ** 2 for x in xs), 3)


def _total(rows: list[dict], everything: dict) -> dict:
    """Sums over the procedures, with the rating figures of all ratings together."""
    total = {"procedure": ALL}
    for name in (
        "received",
        "completed",
        "open",
        "cancelled",
        "on_time",
        "late",
        *SUMMED,
        "supplement_rounds",
        "cases_with_supplement",
        "complaints_received",
        "complaints_handled",
    ):
        total[name] = sum(row.get(name) or 0 for row in rows)
    total["sla_compliance"] = share(total["on_time"], total["on_time"] + total["late"])
    total["supplement_rounds_per_case"] = (
        round(total["supplement_rounds"] / total["received"], 3) if total["received"] else None
    )
    for name in ("ratings", "rating_mean", "rating_weekly", "rating_trend", "low_ratings", "satisfied_share"):
        total[name] = everything.get(name, 0 if name in ("ratings", "low_ratings") else None)
    for name in (*(f"sla_compliance_{channel}" for channel in CHANNELS), *COUNTER_OVERALL):
        total[name] = everything.get(name)
    return total


def as_csv(report: dict[str, Any]) -> str:
    return reports.to_csv(report["rows"], report["columns"])


# The terminal shows the report in two tables that fit a wide terminal; the CSV has it whole.
TERMINAL_TABLES = (
    (
        "Volume and SLA at the service point",
        (
            "procedure",
            "received",
            "completed",
            "open",
            "cancelled",
            "on_time",
            "late",
            "sla_compliance",
            "sla_compliance_counter",
            "sla_compliance_online",
            "sla_compliance_home_visit",
            "standard_unit",
            "working_days_median",
            "minutes_median",
            "minutes_p90",
        ),
    ),
    (
        "Breaches told, one-time notice, papers saved, the counter",
        ("procedure", *TOLD_AND_COUNTER),
    ),
    (
        "Supplements, ratings and complaints",
        (
            "procedure",
            "supplement_rounds",
            "supplement_rounds_per_case",
            "ratings",
            "rating_mean",
            "satisfied_share",
            "rating_weekly",
            "rating_trend",
            "low_ratings",
            "complaints_received",
            "complaints_handled",
            "complaint_handling_median_working_days",
            "complaint_handling_p90_working_days",
        ),
    ),
)


def as_tables(report: dict[str, Any]) -> str:
    tables = [f"{title}\n\n{as_table(report, columns)}" for title, columns in TERMINAL_TABLES]
    if report.get("review"):
        tables.append(f"Review indicators against the office's targets\n\n{review_table(report['review'])}")
    return "\n\n".join(tables)


def review_table(indicators: list[dict]) -> str:
    columns = ("indicator", "value", "target", "status", "previous", "change")
    review = {"rows": [{name: row.get(name) for name in columns} for row in indicators]}
    return as_table(review, columns)


def as_table(report: dict[str, Any], columns: tuple[str, ...] | None = None) -> str:
    """The report as aligned text, procedures down, figures across (blank: nothing to show)."""
    columns = columns or tuple(report["columns"])
    headers = [SHORT.get(name, name) for name in columns]
    cells = [[_cell(row.get(name)) for name in columns] for row in report["rows"]]
    widths = [max(len(header), *(len(line[i]) for line in cells)) for i, header in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for line in cells:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))))
    return "\n".join(lines)


SHORT = {
    "received": "recv",
    "completed": "done",
    "cancelled": "canc",
    "on_time": "ontime",
    "sla_compliance_counter": "SLA_ctr",
    "sla_compliance_online": "SLA_onl",
    "sla_compliance_home_visit": "SLA_home",
    "standard_unit": "unit",
    "minutes_median": "min_med",
    "minutes_p90": "min_p90",
    "breach_notices_applicant": "told_appl",
    "breach_notices_applicant_sent": "sent_appl",
    "breach_notices_supervisor": "told_sup",
    "breaches_without_contact": "no_contact",
    "notice_rounds": "notices",
    "cases_with_notice": "notice_cases",
    "cases_more_than_one_notice": "notice>1",
    "papers_saved": "papers",
    "waiting_minutes_median": "wait_med",
    "waiting_minutes_p90": "wait_p90",
    "service_minutes_median": "serve_med",
    "satisfied_share": "satisfied",
    "sla_compliance": "SLA",
    "working_days_median": "wd_med",
    "working_days_p90": "wd_p90",
    "supplement_rounds": "supp",
    "supplement_rounds_per_case": "supp/case",
    "cases_with_supplement": "supp_cases",
    "ratings": "rated",
    "rating_mean": "mean",
    "rating_weekly": "weekly means",
    "rating_trend": "trend/wk",
    "low_ratings": "low",
    "complaints_received": "compl",
    "complaints_handled": "compl_done",
    "complaint_handling_median_working_days": "compl_wd_med",
    "complaint_handling_p90_working_days": "compl_wd_p90",
}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(round(value, 3))
    return str(value)


def month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)
