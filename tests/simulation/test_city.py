"""A city's month (``simulate-month --offices``): three of Tainan's offices with their own demand,
applicants registered in other districts, one district closed for a typhoon; the bureau's
comparison recomputed from the case rows, and every case verified."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timezone

from sqlalchemy import select

from engine.storage import CalendarOverride, Case, CaseEvent, Task
from tests.conftest import BPMN
from workflows.calendar import OFFICE_ZONE
from workflows.simulation import city_report


def utc(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def test_a_city_month_compares_its_offices_as_the_case_rows_say(cli, engine):
    args = ("--month", "2026-03", "--days", "4", "--cases", "600", "--offices", "3", "--bpmn", str(BPMN))
    result = cli("simulate-month", "--seed", "11", *args)
    with engine.read() as session:
        cases = session.execute(select(Case)).scalars().all()
        transferred = set(
            session.execute(select(CaseEvent.case_id).where(CaseEvent.type == "case_transferred")).scalars()
        )
        [closure] = session.execute(select(CalendarOverride)).scalars().all()
        completed = session.execute(
            select(Task.completed_by, Task.completed_at).where(Task.status == "completed")
        ).all()
    assert f"verified by replay: {len(cases)} of {len(cases)} cases" in result.output
    assert "every office's figures agree with its own SLA report (3 offices)" in result.output

    # Demand falls from the centre; every number shows the office that received it.
    received = Counter(case.received_office for case in cases)
    assert received["TN01"] > received["TN03"] > 0
    assert all(case.number.split("-")[1] == case.received_office for case in cases)
    # Applicants registered elsewhere: received here, worked there, the transfer in the history.
    elsewhere = {case.id for case in cases if case.office != case.received_office}
    assert elsewhere and elsewhere == transferred
    # The typhoon closed one district's office for a day; the others worked.
    assert (closure.region, closure.district, closure.working) == ("臺南市", "東區", False)
    worked_that_day = {
        by.split("-")[0] for by, at in completed if utc(at).astimezone(OFFICE_ZONE).date() == closure.day and by
    }
    assert "TN02" not in worked_that_day and "TN01" in worked_that_day

    # The bureau's comparison, recomputed from the case rows.
    expected = defaultdict(Counter)
    for case in cases:
        stop = case.served_at or ((case.sla_paused_at or case.closed_at) if case.status == "completed" else None)
        if stop is not None and case.due_at is not None:
            figures = expected[case.office]
            figures["judged"] += 1
            figures["late"] += case.overdue_at is not None or utc(stop) > utc(case.due_at)
    first, last = datetime(2026, 3, 1).date(), datetime(2026, 3, 31).date()
    report = city_report(engine, first, last)
    assert {row["code"]: (row["judged"], row["late"]) for row in report["offices"]} == {
        office: (figures["judged"], figures["late"]) for office, figures in expected.items()
    }
    assert [row["rank"] for row in report["offices"]] == [1, 2, 3] and report["disagreements"] == []
