"""The management report of a simulated month against figures computed here, straight from the
event log, the outbox and the queue tickets (not through the report code): SLA compliance at the
service point, breaches and the notices that told them, one-time-notice rounds and the counter's
waiting minutes, per procedure and per channel."""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections import defaultdict
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from engine.storage import CaseEvent, Notification, QueueTicket, QueueTicketCase
from tests.conftest import BPMN
from workflows.simulation.report import ALL

CHANNELS = ("counter", "online", "home_visit")
CLOCK_EVENTS = ("sla_resumed", "due_date_changed", "sla_extended", "sla_standard_changed")


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * 0.9
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def from_the_event_log(engine) -> dict[str, dict]:
    """Each case's story as its events tell it."""
    cases: dict[str, dict] = {}
    with engine.read() as session:
        for event in session.scalars(select(CaseEvent).order_by(CaseEvent.case_id, CaseEvent.seq)):
            case = cases.setdefault(event.case_id, {"breaches": 0, "notices": 0, "pause": None, "status": "running"})
            at = aware(event.occurred_at)
            if event.type == "case_started":
                case.update(procedure=event.payload["procedure"], channel=event.payload["channel"], received=at)
                due = event.payload["data"].get("sla_due_at")
                case["due"] = datetime.fromisoformat(due) if due else None
            elif event.type in CLOCK_EVENTS:
                case["due"] = datetime.fromisoformat(event.payload["due_at"])
                if event.type == "sla_resumed":
                    case["pause"] = None
            elif event.type == "sla_paused":
                case["pause"] = at
            elif event.type == "service_delivered":
                case["served"] = at
            elif event.type == "case_overdue":
                case["breaches"] += 1
            elif event.type == "task_completed" and event.element_id == "issue_notice":
                case["notices"] += 1
            elif event.type == "case_completed":
                case.update(status="completed", closed=at)
            elif event.type == "case_cancelled":
                case.update(status="cancelled", closed=at)
        told = defaultdict(set)
        for notice in session.scalars(select(Notification).where(Notification.kind == "sla_breach")):
            told[notice.case_id].add(notice.audience)
            if notice.status == "sent":
                told[notice.case_id].add(f"{notice.audience} (sent)")
        tickets = {t.id: t for t in session.scalars(select(QueueTicket))}
        for link in session.scalars(select(QueueTicketCase)):
            cases[link.case_id]["ticket"] = tickets[link.ticket_id]
    for case_id, case in cases.items():
        case["told"] = told.get(case_id, set())
        if case.get("served"):
            case["stop"] = case["served"]
        elif case["status"] == "completed":
            case["stop"] = case["pause"] or case["closed"]
        else:
            case["stop"] = None
    return cases


def expected_figures(cases: dict[str, dict]) -> dict[tuple, dict]:
    """Per (procedure, channel) and per (procedure, None): the figures the report must show."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for case in cases.values():
        groups[(case["procedure"], None)].append(case)
        groups[(case["procedure"], case["channel"])].append(case)
        groups[(ALL, None)].append(case)
        groups[(ALL, case["channel"])].append(case)
    figures = {}
    for key, items in groups.items():
        judged = [c for c in items if c["stop"] is not None and c["status"] != "cancelled" and c["due"] is not None]
        late = [c for c in judged if c["breaches"] or c["stop"] > c["due"]]
        waits = [
            (aware(c["ticket"].called_at) - aware(c["ticket"].issued_at)).total_seconds() / 60
            for c in items
            if c.get("ticket") is not None and c["ticket"].called_at is not None
        ]
        figures[key] = {
            "judged": len(judged),
            "late": len(late),
            "compliance": round((len(judged) - len(late)) / len(judged), 4) if judged else None,
            "breaches": sum(c["breaches"] for c in items),
            "told_applicant": sum(1 for c in items if c["breaches"] and "applicant" in c["told"]),
            "told_supervisor": sum(1 for c in items if c["breaches"] and "supervisor" in c["told"]),
            "sent_applicant": sum(1 for c in items if c["breaches"] and "applicant (sent)" in c["told"]),
            "notice_rounds": sum(c["notices"] for c in items),
            "more_than_one_notice": sum(1 for c in items if c["notices"] > 1),
            "waiting_median": round(statistics.median(waits), 1) if waits else None,
            "waiting_p90": round(p90(waits), 1) if waits else None,
            "tickets": sum(1 for c in items if c.get("ticket") is not None),
        }
    return figures


def number(text: str):
    return None if text == "" else float(text)


@pytest.mark.parametrize(
    "days",
    [pytest.param(6, id="six-days"), pytest.param(None, id="month", marks=[pytest.mark.slow, pytest.mark.sqlite_only])],
)
def test_the_report_shows_what_the_event_log_says(cli, engine, tmp_path, days):
    path = tmp_path / "report.csv"
    # Six days with two clerks: the back office falls behind, so breaches happen and are told.
    extra = ("--days", str(days), "--cases", "500", "--clerks", "2") if days else ()
    result = cli("simulate-month", "--month", "2026-03", "--seed", "7", "--bpmn", str(BPMN), "--csv", str(path), *extra)
    assert "verified by replay" in result.output
    report = {row["procedure"]: row for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))}
    cases = from_the_event_log(engine)
    figures = expected_figures(cases)
    # The month happened: breaches were told, notices were given, visitors waited at the counter.
    everything = [case for case in cases.values()]
    assert sum(c["breaches"] for c in everything) > 0 and any(c["notices"] for c in everything)
    assert sum(1 for c in everything if c.get("ticket") is not None) > len(everything) / 2
    assert all(c["breaches"] <= 1 for c in everything)  # never twice
    # Every procedure's row, and the total row over all of them (its channels and waiting too).
    for procedure in {c["procedure"] for c in everything} | {ALL}:
        row, want = report[procedure], figures[(procedure, None)]
        assert int(row["on_time"]) + int(row["late"]) == want["judged"], procedure
        assert int(row["late"]) == want["late"], procedure
        assert number(row["sla_compliance"]) == want["compliance"], procedure
        assert int(row["breaches"]) == want["breaches"], procedure
        assert int(row["breach_notices_applicant"]) == want["told_applicant"], procedure
        # The month's outbox delivered them (to the development mailbox): told is sent.
        assert int(row["breach_notices_applicant_sent"]) == want["sent_applicant"] == want["told_applicant"], procedure
        assert int(row["breach_notices_supervisor"]) == want["told_supervisor"] == want["breaches"], procedure
        assert int(row["notice_rounds"]) == want["notice_rounds"], procedure
        assert int(row["cases_more_than_one_notice"]) == want["more_than_one_notice"], procedure
        assert int(row["tickets"]) == want["tickets"], procedure
        assert number(row["waiting_minutes_median"]) == want["waiting_median"], procedure
        assert number(row["waiting_minutes_p90"]) == want["waiting_p90"], procedure
        for channel in CHANNELS:
            mine = figures.get((procedure, channel))
            expected = mine["compliance"] if mine else None
            assert number(row[f"sla_compliance_{channel}"]) == expected, (procedure, channel)
    # Every breach was told to the supervisor, and to the applicant wherever there was a way to.
    breached = [c for c in everything if c["breaches"]]
    assert all("supervisor" in c["told"] for c in breached)
    with engine.read() as session:
        from engine.storage import Case

        contacts = {case.id: case.applicant or {} for case in session.scalars(select(Case))}
    for case_id, case in cases.items():
        if case["breaches"] and (contacts[case_id].get("email") or contacts[case_id].get("phone")):
            assert "applicant" in case["told"], case_id
