"""The Civil Affairs Bureau's comparison of its offices: each office's figures for a period side by
side, ranked by how many of its cases were served within the standard time, each against the
bureau's targets (red, amber, green), with the city's totals. From a row the bureau goes on to the
office's own reports (every report with ``office``) and its cases (``GET /api/cases?office=``).

The figures are grouped per office in the database (``engine.audit.reports.figures_by_office``),
whatever the number of offices; the same figures computed office by office from the SLA report
(``workflows.reports``) agree with them (the city simulation checks it).
"""

from __future__ import annotations

from typing import Any

from engine.audit import Period, reports, share
from engine.storage import offices

from .review import status, targets

RANKED_BY = "sla_compliance"


def office_comparison(engine, period: Period) -> dict[str, Any]:
    """Every office of the report scope (``reports.office_scope``) with its figures, ranked."""
    now = engine.clock.now()
    goals = targets(engine)
    with engine.read() as session:
        figures = reports.figures_by_office(session, period, now)
        known = offices.list_offices(session.connection(), reports.scope_offices())
    rows = [_row(office, figures.get(office["code"], {}), goals) for office in known]
    rows = [row for row in rows if row["active"] or row["received"] or row["open"]]
    rows.sort(key=_rank_key)
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank if row["compliance"] is not None else None
    return {
        "period": period.as_dict(),
        "generated_at": now,
        "ranked_by": RANKED_BY,
        "targets": {key: goals[key] for key in (RANKED_BY, "breaches", "satisfaction")},
        "offices": rows,
        "city": _totals(rows, goals),
    }


def _counts(figures: dict[str, Any]) -> dict[str, Any]:
    judged = figures.get("judged", 0)
    late = figures.get("late", 0)
    with_deadline = judged - figures.get("no_deadline", 0)
    ratings = figures.get("ratings", 0)
    return {
        "received": figures.get("received", 0),
        "judged": judged,
        "on_time": with_deadline - late,
        "late": late,
        "breaches": figures.get("breaches", 0),
        "compliance": share(with_deadline - late, with_deadline),
        "open": figures.get("open", 0),
        "open_overdue": figures.get("open_overdue", 0),
        "ratings": ratings,
        "rating_mean": round(figures.get("rating_sum", 0) / ratings, 2) if ratings else None,
    }


def _statuses(counts: dict[str, Any], goals: dict) -> dict[str, Any]:
    return {
        "compliance_status": status(counts["compliance"], goals[RANKED_BY]),
        "breaches_status": status(counts["breaches"], goals["breaches"]),
    }


def _row(office: dict, figures: dict, goals: dict) -> dict[str, Any]:
    counts = _counts(figures)
    return {
        "code": office["code"],
        "name": office["name"],
        "region": office["region"],
        "district": office["district"],
        "active": office["active"],
        **counts,
        **_statuses(counts, goals),
    }


def _rank_key(row: dict) -> tuple:
    """Best first: the higher share on time, then fewer breaches, then more cases judged."""
    unmeasured = row["compliance"] is None
    return (unmeasured, -(row["compliance"] or 0), row["breaches"], -row["judged"], row["code"])


def _totals(rows: list[dict], goals: dict) -> dict[str, Any]:
    summed = {
        name: sum(row[name] for row in rows)
        for name in ("received", "judged", "on_time", "late", "breaches", "open", "open_overdue", "ratings")
    }
    rating_sum = sum((row["rating_mean"] or 0) * row["ratings"] for row in rows)
    totals = {
        **summed,
        "compliance": share(summed["on_time"], summed["on_time"] + summed["late"]),
        "rating_mean": round(rating_sum / summed["ratings"], 2) if summed["ratings"] else None,
        "offices": len(rows),
    }
    return {**totals, **_statuses(totals, goals)}
