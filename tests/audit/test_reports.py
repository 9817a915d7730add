"""Management reports on a real database: each figure checked against cases driven through
engine commands at known times (the clock starts on Monday 2026-03-02, 09:00 in Taipei)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import event

from engine import commands as cmd
from engine.audit import Period, quantile, reports
from workflows.reports import OFFICE_ZONE, run_report

from ..engine.helpers import RECEIVE, complete, start
from .conftest import start_case, supply_documents, work

MARCH = {"first": date(2026, 3, 1), "last": date(2026, 3, 31)}


def transcript_case(engine, clock, *, minutes_to_issue: float, rating: int | None = None, channel="counter"):
    started = start(engine, channel=channel)
    if channel == "online":  # the shared channel intake: a clerk reviews an online application first
        complete(
            engine,
            started.case_id,
            "review_online_application",
            {"online_review": {"signed_with": "citizen_digital_certificate", "reviewed_on": "2026-03-02"}},
        )
    complete(engine, started.case_id, "receive_application", RECEIVE)
    clock.advance(minutes=minutes_to_issue)
    complete(engine, started.case_id, "issue_transcript", {"fee_paid": 15})
    if rating is not None:
        rate(engine, started.case_id, rating)
    return started


def rate(engine, case_id: str, score: int) -> None:
    """The applicant rates; a low rating is followed up by the supervisor (the shared rating)."""
    engine.handle(cmd.RecordRating(case_id, score, None))
    if score <= 2:
        complete(engine, case_id, "follow_up_rating", {"contacted_applicant": True}, actor="supervisor-2")


@pytest.fixture
def office_month(procedures, clock):
    """Monday 2026-03-02, 09:00. Transcripts (15 minutes at the counter, the next working day
    online): issued after 5 minutes at the counter and after 10 online, one after 40 minutes
    at the counter (late; rated 2, so the supervisor follows it up days later, which does not
    count), one received at 09:55 still open. Document checks with 2, 1 and 0 supplement
    rounds. Complaints (3 working days, due Thursday): answered Wednesday (2 working days),
    Saturday (4: late), one still open. Reports run on Monday 2026-03-09."""
    engine = procedures
    transcript_case(engine, clock, minutes_to_issue=5, rating=5)
    transcript_case(engine, clock, minutes_to_issue=10, rating=1, channel="online")
    late = start(engine)
    complete(engine, late.case_id, "receive_application", RECEIVE)
    clock.advance(minutes=40)  # past the 15 minutes
    complete(engine, late.case_id, "issue_transcript", {"fee_paid": 15}, actor="clerk-2")
    rate(engine, late.case_id, 2)
    start(engine)  # received Monday 09:55, still open

    for rounds in (2, 1, 0):
        case = start_case(engine, "document_check")
        for _ in range(rounds):
            work(engine, case.case_id, "review_documents", {"documents_complete": False})
            supply_documents(engine, case.case_id)
        work(engine, case.case_id, "review_documents", {"documents_complete": True})
        work(engine, case.case_id, "register", actor="clerk-2")

    quick, slow = start_case(engine, "complaint_general"), start_case(engine, "complaint_general")
    start_case(engine, "complaint_general")  # open
    clock.advance(days=2)  # Wednesday
    work(engine, quick.case_id, "answer_complaint", actor="supervisor-1")
    clock.advance(days=3)  # Saturday
    work(engine, slow.case_id, "answer_complaint", actor="supervisor-1")
    clock.advance(days=2)  # Monday 2026-03-09, 18:00 in Taipei
    return engine


def test_sla_compliance_by_procedure_and_month(office_month):
    rows = run_report(office_month, "sla", **MARCH)["rows"]
    by_key = {(row["procedure"], row["channel"]): row for row in rows}
    assert by_key["household_transcript", "counter"] == {
        "procedure": "household_transcript",
        "channel": "counter",
        "month": "2026-03",
        "judged": 2,
        "on_time": 1,
        "late": 1,
        "no_deadline": 0,
        "not_served": 0,
        "breaches": 1,
        "compliance": 0.5,
    }
    # Online: served ten minutes after receipt, well within the next working day; its low
    # rating's follow-up, days later, does not count.
    online = by_key["household_transcript", "online"]
    assert (online["on_time"], online["late"], online["compliance"]) == (1, 0, 1.0)
    complaints = by_key["complaint_general", "counter"]
    assert (complaints["on_time"], complaints["late"], complaints["breaches"]) == (1, 1, 1)
    assert by_key["document_check", "counter"]["no_deadline"] == 3  # the catalogue publishes no time for it


def test_backlog_of_open_and_overdue_cases(office_month):
    rows = {row["procedure"]: row for row in run_report(office_month, "backlog")["rows"]}
    assert rows["household_transcript"]["open"] == 1 and rows["household_transcript"]["overdue"] == 1
    assert rows["complaint_general"]["open"] == 1 and rows["complaint_general"]["overdue"] == 1
    assert rows["complaint_general"]["age_median_working_days"] == 5  # Monday to the next Monday
    assert "document_check" not in rows


def test_processing_time_in_working_days_and_minutes(office_month):
    rows = {(r["procedure"], r["channel"]): r for r in run_report(office_month, "processing-time", **MARCH)["rows"]}
    counter = rows["household_transcript", "counter"]
    assert counter["working_days_median"] == 0  # issued the day they came
    # Receipt to the service point in office minutes: 5 and 40 (the ratings after do not count).
    assert (counter["unit"], counter["minutes_median"], counter["minutes_p90"]) == ("minutes", 22.5, 36.5)
    online = rows["household_transcript", "online"]  # held to the next working day: no minutes shown
    assert (online["unit"], online["working_days_median"], online["minutes_median"]) == ("working_days", 0, None)
    complaints = rows["complaint_general", "counter"]
    # quick: Monday -> Wednesday = 2 working days; slow: Monday -> Saturday = 4 (Tue..Fri)
    assert (complaints["cases"], complaints["working_days_median"], complaints["working_days_p90"]) == (2, 3.0, 3.8)
    assert complaints["unit"] == "working_days" and complaints["minutes_median"] is None


def test_supplement_rounds_per_case(office_month):
    [row] = run_report(office_month, "supplements", procedure="document_check", **MARCH)["rows"]
    assert row == {
        "procedure": "document_check",
        "month": "2026-03",
        "cases": 3,
        "cases_with_supplement": 2,
        "supplement_share": 0.6667,
        "rounds": 3,
        "rounds_per_case": 1.0,
        "max_rounds": 2,
    }


def test_ratings_by_procedure_channel_and_month(office_month):
    rows = run_report(office_month, "ratings", **MARCH)["rows"]
    assert [(r["channel"], r["ratings"], r["mean"], r["low"]) for r in rows] == [
        ("counter", 2, 3.5, 1),
        ("online", 1, 1.0, 1),
    ]
    assert rows[0]["score_5"] == 1 and rows[0]["score_2"] == 1


def test_complaints_and_their_handling_time(office_month):
    [row] = run_report(office_month, "complaints", **MARCH)["rows"]
    assert row == {
        "procedure": "complaint_general",
        "month": "2026-03",
        "received": 3,
        "handled": 2,
        "open": 1,
        "cancelled": 0,
        "late": 2,
        "handled_on_time_share": 0.5,
        "handling_median_working_days": 3.0,
        "handling_p90_working_days": 3.8,
    }
    assert run_report(office_month, "complaints", procedure="household_transcript", **MARCH)["rows"] == []


def test_clerk_workload(office_month):
    rows = {row["actor"]: row for row in run_report(office_month, "workload", **MARCH)["rows"]}
    assert rows["clerk-1"]["tasks_completed"] == 3 + 1 + 2 + 3 + 3  # receipts, online review, issues, reviews
    assert rows["supervisor-2"]["tasks_completed"] == 2  # the two low ratings followed up
    assert rows["clerk-2"]["tasks_completed"] == 1 + 3
    assert rows["supervisor-1"]["tasks_completed"] == 2 and rows["supervisor-1"]["procedures"] == 1


def test_a_period_without_cases_is_empty_and_bad_periods_are_refused(office_month):
    assert run_report(office_month, "sla", first=date(2025, 1, 1), last=date(2025, 1, 31))["rows"] == []
    with pytest.raises(Exception, match="ends before it starts"):
        run_report(office_month, "sla", first=date(2026, 3, 5), last=date(2026, 3, 1))


def test_api_json_and_csv(call, office_month):
    answer = call("GET", "/api/reports/sla", user="supervisor", query={"from": "2026-03-01", "to": "2026-03-31"})
    assert answer.status == 200 and answer.json["period"] == {
        "from": "2026-03-01",
        "to": "2026-03-31",
        "timezone": "Asia/Taipei",
    }
    as_csv = call(
        "GET", "/api/reports/sla", user="auditor", query={"from": "2026-03-01", "to": "2026-03-31", "format": "csv"}
    )
    assert as_csv.status == 200 and as_csv.content_type == "text/csv"
    table = list(csv.DictReader(io.StringIO(as_csv.body.decode())))
    assert [row["procedure"] for row in table] == [
        "complaint_general",
        "document_check",
        "household_transcript",
        "household_transcript",
    ]
    assert table[3]["compliance"] == "1.0" and table[2]["compliance"] == "0.5"
    assert call("GET", "/api/reports/nope", user="auditor").status == 404
    assert call("GET", "/api/reports/sla", user="auditor", query={"from": "2026-13-01"}).status == 422
    assert call("GET", "/api/reports/steps", user="auditor").status == 422  # needs a procedure
    assert call("GET", "/api/reports/sla", user="clerk").status == 403
    assert {r["name"] for r in call("GET", "/api/reports", user="auditor").json} >= {"sla", "backlog", "steps"}


def test_cli_report_as_csv(cli, office_month):
    output = cli("reports", "show", "ratings", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "csv").output
    assert output.splitlines()[0].startswith("procedure,channel,month,ratings,mean")
    assert len(output.splitlines()) == 3


def test_quantiles_interpolate_like_numpy():
    assert quantile([2, 4], 0.5) == 3 and quantile([0, 10], 0.9) == 9 and quantile([], 0.5) is None
    assert quantile([7], 0.9) == 7


def test_common_report_queries_use_indexes_not_scans_of_the_event_log(engine):
    """On SQLite, EXPLAIN QUERY PLAN names the index each query searches by."""
    if engine.db.dialect.name != "sqlite":
        pytest.skip("the plan check reads SQLite's EXPLAIN QUERY PLAN")
    period = Period(date(2026, 3, 1), date(2026, 3, 31), OFFICE_ZONE)
    statements = []
    with engine.read() as session:
        connection = session.connection()

        def capture(conn, cursor, statement, parameters, context, executemany):
            statements.append((statement, parameters))

        event.listen(connection, "before_cursor_execute", capture)
        reports.cases_closed_in(session, period)
        reports.messages_per_case(session, ["a", "b"], ["documents_supplied"])
        reports.first_claims(session, ["a"])
        reports.ratings_in(session, period)
        reports.tasks_completed_in(session, period)
        reports.last_task_completions(session, ["a", "b"])
        event.remove(connection, "before_cursor_execute", capture)
        plans = [
            " | ".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
            for sql, params in statements
        ]
    assert "ix_cases_status_closed" in plans[0]
    assert "ix_case_events_type_case" in plans[1] and "SEARCH case_events USING" in plans[2]
    assert "ix_ratings_rated_at" in plans[3] and "ix_tasks_status_completed" in plans[4]
    assert "ix_tasks_case" in plans[5]  # by case, not a walk over every completed task
    assert not any("SCAN case_events" in plan for plan in plans), plans
