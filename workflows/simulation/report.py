"""The management report (管考) of a period, one row per procedure: volume, SLA compliance,
processing time in working days, supplement rounds, ratings with their weekly trend, and
complaints with their handling time. Built from the office's report pieces
(``workflows.reports``), so the simulation's figures are the ones the office would see.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from engine.audit import Period, reports, share

from ..calendar import OFFICE_ZONE
from ..reports import LOW_RATING_MAX, run_report

ALL = "(all)"
COLUMNS = (
    "procedure",
    "received",
    "completed",
    "open",
    "cancelled",
    "closed_on_time",
    "closed_late",
    "sla_compliance",
    "working_days_median",
    "working_days_p90",
    "supplement_rounds",
    "supplement_rounds_per_case",
    "cases_with_supplement",
    "ratings",
    "rating_mean",
    "rating_weekly",
    "rating_trend",
    "low_ratings",
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
    for name, merge in (
        ("sla", _sla),
        ("processing-time", _processing),
        ("supplements", _supplements),
        ("complaints", _complaints),
    ):
        for item in run_report(engine, name, first=first, last=last)["rows"]:
            merge(rows[item["procedure"]], item)
    _ratings(engine, period, rows)
    everything = rows.pop(ALL, {})  # the ratings of all procedures together
    ordered = [{"procedure": key, **_defaults(values)} for key, values in sorted(rows.items())]
    return {"period": period.as_dict(), "columns": list(COLUMNS), "rows": [*ordered, _total(ordered, everything)]}


def _defaults(values: dict) -> dict:
    counts = (
        "received",
        "completed",
        "open",
        "cancelled",
        "closed_on_time",
        "closed_late",
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


# The period is at most a month in the simulation, but the pieces report by month: add up.
def _sla(row: dict, item: dict) -> None:
    row["closed_on_time"] = row.get("closed_on_time", 0) + item["on_time"]
    row["closed_late"] = row.get("closed_late", 0) + item["late"]
    row["sla_compliance"] = share(row["closed_on_time"], row["closed_on_time"] + row["closed_late"])


def _processing(row: dict, item: dict) -> None:
    row["working_days_median"] = item["working_days_median"]
    row["working_days_p90"] = item["working_days_p90"]


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
        "closed_on_time",
        "closed_late",
        "supplement_rounds",
        "cases_with_supplement",
        "complaints_received",
        "complaints_handled",
    ):
        total[name] = sum(row.get(name) or 0 for row in rows)
    total["sla_compliance"] = share(total["closed_on_time"], total["closed_on_time"] + total["closed_late"])
    total["supplement_rounds_per_case"] = (
        round(total["supplement_rounds"] / total["received"], 3) if total["received"] else None
    )
    for name in ("ratings", "rating_mean", "rating_weekly", "rating_trend", "low_ratings"):
        total[name] = everything.get(name, 0 if name in ("ratings", "low_ratings") else None)
    return total


def as_csv(report: dict[str, Any]) -> str:
    return reports.to_csv(report["rows"], report["columns"])


# The terminal shows the report in two tables that fit a wide terminal; the CSV has it whole.
TERMINAL_TABLES = (
    (
        "Volume, SLA and processing time (working days)",
        (
            "procedure",
            "received",
            "completed",
            "open",
            "cancelled",
            "closed_on_time",
            "closed_late",
            "sla_compliance",
            "working_days_median",
            "working_days_p90",
        ),
    ),
    (
        "Supplements, ratings and complaints",
        (
            "procedure",
            "supplement_rounds",
            "supplement_rounds_per_case",
            "ratings",
            "rating_mean",
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
    return "\n\n".join(f"{title}\n\n{as_table(report, columns)}" for title, columns in TERMINAL_TABLES)


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
    "closed_on_time": "ontime",
    "closed_late": "late",
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
