"""Deploy and measure: the office's figures for a procedure before and after a version was
deployed, over two periods of the same length on either side of the deploy, with the number of
cases each figure rests on.

The periods are measured from the deploy's moment: ``after`` from the deploy to now (at most
``MAX_DAYS``, or the days asked for), ``before`` as long, ending at the deploy. The cases are the
procedure's cases received in each period (those received before ran on the earlier versions,
those after on the new one, unless moved), each judged as the SLA report judges it, as of now.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from engine import NotFound
from engine.audit import quantile, reports, share
from engine.storage import Case, Definition, Task

from ..reports import LOW_RATING_MAX, NOTICE_ELEMENT, clock_stop, is_late, office_time
from .arrivals import aware

MAX_DAYS = 90
INDICATORS = ("sla_compliance", "processing_working_days_median", "notice_rounds_per_case", "rating_mean")
LOWER_IS_BETTER = {"processing_working_days_median", "notice_rounds_per_case", "sla_late"}


def effect(engine, procedure: str, version: int, days: int | None = None) -> dict[str, Any]:
    """The figures of the procedure's cases received in the periods before and after version
    ``version`` was deployed, side by side, with each change and whether it is for the better."""
    with engine.read() as session:
        deployed = session.execute(
            select(Definition.id, Definition.deployed_at, Definition.deployed_by, Definition.draft).where(
                Definition.process_key == procedure, Definition.version == version
            )
        ).first()
    if deployed is None or deployed.draft:
        raise NotFound(f"Version {version} of {procedure} was not deployed", procedure=procedure, version=version)
    now = engine.clock.now()
    start = aware(deployed.deployed_at)
    length = min(now - start, timedelta(days=days or MAX_DAYS))
    length = max(length, timedelta(0))
    before = _figures(engine, procedure, start - length, start, now)
    after = _figures(engine, procedure, start, start + length, now)
    return {
        "procedure": procedure,
        "version": version,
        "deployed_at": start,
        "deployed_by": deployed.deployed_by,
        "days": round(length.total_seconds() / 86400, 2),
        "before": {"from": start - length, "to": start, **before},
        "after": {"from": start, "to": start + length, **after},
        # No change is claimed where a side has no case to rest on.
        "changes": {
            key: _change(key, before.get(key), after.get(key))
            if before["cases"] and after["cases"]
            else {"delta": None, "better": None}
            for key in (*INDICATORS, "sla_late")
        },
    }


def _figures(engine, procedure: str, start: datetime, end: datetime, now: datetime) -> dict[str, Any]:
    clock = office_time(engine, now)
    with engine.read() as session:
        cases = session.execute(
            select(*reports.CASE_COLUMNS).where(
                Case.procedure_key == procedure, Case.received_at >= start, Case.received_at < end
            )
        ).all()
        ids = [case.id for case in cases]
        notices = _notices(session, ids)
        scores = [score for score in reports.ratings_of_cases(session, ids).values()]
        steps = _step_waits(session, ids, clock, now)
    judged = [case for case in cases if case.status != "cancelled" and (case.due_at is not None)]
    judged = [case for case in judged if clock_stop(case) is not None or is_late(case, now)]
    late = [case for case in judged if is_late(case, now)]
    stops = [clock.working_days(case.received_at, clock_stop(case)) for case in cases if clock_stop(case)]
    return {
        "cases": len(cases),
        "open": sum(1 for case in cases if case.status == "running"),
        "sla_judged": len(judged),
        "sla_late": len(late),
        "sla_compliance": share(len(judged) - len(late), len(judged)),
        "processing_cases": len(stops),
        "processing_working_days_median": _rounded(quantile(stops, 0.5)),
        "notice_rounds": sum(notices.values()),
        "notice_rounds_per_case": round(sum(notices.values()) / len(cases), 4) if cases else None,
        "ratings": len(scores),
        "rating_mean": round(sum(scores) / len(scores), 2) if scores else None,
        "low_ratings": sum(1 for score in scores if score <= LOW_RATING_MAX),
        "steps": steps,
    }


def _notices(session, case_ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for start in range(0, len(case_ids), 900):
        rows = session.execute(
            select(Task.case_id).where(
                Task.case_id.in_(case_ids[start : start + 900]),
                Task.element_id == NOTICE_ELEMENT,
                Task.status == "completed",
            )
        )
        for (case_id,) in rows:
            counts[case_id] += 1
    return counts


def _step_waits(session, case_ids: list[str], clock, now: datetime) -> list[dict]:
    """Per step: how many times it was opened and how long it stayed open (office hours)."""
    opened: dict[str, list[float]] = defaultdict(list)
    for task in reports.tasks_of_cases(session, case_ids):
        if task.status != "cancelled":
            opened[task.element_id].append(clock.office_hours(task.created_at, task.completed_at or now))
    return [
        {"element_id": element_id, "instances": len(hours), "open_hours_median": _rounded(quantile(hours, 0.5))}
        for element_id, hours in sorted(opened.items())
    ]


def _change(key: str, old, new) -> dict[str, Any]:
    if old is None or new is None:
        return {"delta": None, "better": None}
    delta = round(new - old, 4)
    return {"delta": delta, "better": None if delta == 0 else (delta < 0) == (key in LOWER_IS_BETTER)}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
