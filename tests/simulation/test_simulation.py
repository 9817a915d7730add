"""The office month simulation (``flask --app api simulate-month``) through the CLI runner on
the test database: a few working days of March 2026, checked against the database itself."""

from __future__ import annotations

import csv
import io
import shutil
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import timezone

import pytest
from sqlalchemy import func, select

from api import create_app
from engine import commands as cmd
from engine.storage import Case, CaseEvent, QueueTicket, QueueTicketCase, Rating, Task, VerificationRun
from tests.conftest import BPMN, POSTGRES_URL, _truncate_postgres, cli_of
from workflows import catalogue
from workflows.simulation import profile
from workflows.simulation.report import ALL, COLUMNS

# Three working days (2026-03-02 to 04) of a month of 300 applications: about 45 cases.
ARGS = ("simulate-month", "--month", "2026-03", "--days", "3", "--cases", "300", "--bpmn", str(BPMN))


def simulate(cli, tmp_path, *extra: str, ok: bool = True):
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "report.csv"
    result = cli(*ARGS, "--csv", str(path), *extra, ok=ok)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))) if path.exists() else []
    return result, path.read_text(encoding="utf-8") if path.exists() else "", rows


def utc(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def test_the_report_agrees_with_the_database_and_every_case_verifies(cli, engine, tmp_path):
    # Five days: long enough for some applicants to come back with their documents.
    result, text, rows = simulate(cli, tmp_path, "--seed", "7", "--days", "5", "--cases", "400")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    by_procedure = {row["procedure"]: row for row in rows}
    assert len(by_procedure) == len(rows) and rows[-1]["procedure"] == ALL
    with engine.read() as session:
        cases = session.execute(select(Case)).scalars().all()
        ratings = session.execute(select(Rating.procedure_key, Rating.score)).all()
        supplied = Counter(
            session.execute(
                select(Case.procedure_key)
                .join(CaseEvent, CaseEvent.case_id == Case.id)
                .where(
                    CaseEvent.type == "message_delivered", CaseEvent.payload["name"].as_string() == "documents_supplied"
                )
            ).scalars()
        )
    assert 50 <= len(cases) <= 150
    assert f"verified by replay: {len(cases)} of {len(cases)} cases (verification run" in result.output
    with engine.read() as session:
        [run] = session.execute(select(VerificationRun)).scalars().all()
    assert (run.cases_checked, run.cases_failed, run.ok, run.actor) == (len(cases), 0, True, "simulation")
    assert [v.as_dict() for v in engine.verify_all() if not v.ok] == []
    # Every deployed procedure got applicants; the channels all occur.
    assert set(by_procedure) == {case.procedure_key for case in cases} | {ALL}
    assert {case.channel for case in cases} >= {"counter", "online"}

    expected = defaultdict(Counter)
    for case in cases:
        figures = expected[case.procedure_key]
        figures["received"] += 1
        figures[{"running": "open"}.get(case.status, case.status)] += 1
        # Judged where the SLA clock stopped: at the service point, or (closed without the
        # service) at the closing or the pause it closed in; cancelled cases are not judged.
        stop = case.served_at or ((case.sla_paused_at or case.closed_at) if case.status == "completed" else None)
        if stop is not None and case.due_at is not None and case.status != "cancelled":
            late = case.overdue_at is not None or utc(stop) > utc(case.due_at)
            figures["late" if late else "on_time"] += 1
    scores = defaultdict(list)
    for procedure, score in ratings:
        scores[procedure].append(score)
    for procedure, figures in expected.items():
        row = by_procedure[procedure]
        for name in ("received", "completed", "open", "cancelled", "on_time", "late"):
            assert int(row[name]) == figures[name], (procedure, name)
        closed = figures["on_time"] + figures["late"]
        assert row["sla_compliance"] == (str(round(figures["on_time"] / closed, 4)) if closed else "")
        assert int(row["supplement_rounds"]) == supplied[procedure]
        assert int(row["ratings"]) == len(scores[procedure])
        if scores[procedure]:
            assert float(row["rating_mean"]) == round(sum(scores[procedure]) / len(scores[procedure]), 2)
    total = by_procedure[ALL]
    assert int(total["received"]) == len(cases) and int(total["ratings"]) == len(ratings)
    # The days happened: steps were done, cases closed, documents came back, ratings were given.
    with engine.read() as session:
        steps_done = session.scalar(select(func.count()).select_from(Task).where(Task.status == "completed"))
    assert steps_done > len(cases) and int(total["completed"]) > 0
    assert sum(supplied.values()) > 0 and ratings
    # Move-ins as offices run them: an owner the land registry confirms is registered in the
    # visit, on the same-visit standard; the others get a residence check due 3 working days
    # after receipt.
    move_ins = [case for case in cases if case.procedure_key == "move_in_registration"]
    checked = [case for case in move_ins if case.sla_standard == "residence_check"]
    one_visit = [case for case in move_ins if case.sla_standard is None and case.served_at is not None]
    assert checked and one_visit
    for case in checked:
        if not case.sla_paused_amount and not case.sla_extended_amount:
            want = engine.catalogue.due_at(case.procedure_key, utc(case.received_at), variant="residence_check")
            assert utc(case.due_at) == want
    for case in one_visit:
        assert utc(case.served_at).date() == utc(case.received_at).date(), case.number


@pytest.fixture
def fresh_cli(request, settings, tmp_path_factory):
    """A CLI on another empty database each call (SQLite: a new file; PostgreSQL: emptied)."""
    apps = []

    def make():
        if POSTGRES_URL:
            _truncate_postgres(POSTGRES_URL)
            url = POSTGRES_URL
        else:
            path = tmp_path_factory.mktemp("again") / "onestop.db"
            shutil.copy(request.getfixturevalue("_sqlite_template"), path)
            url = f"sqlite:///{path}"
        app = create_app(replace(settings, database_url=url))
        apps.append(app)
        return cli_of(app)

    yield make
    for app in apps:
        app.extensions["onestop_engine"].dispose()


def test_the_same_seed_gives_the_same_month_and_another_seed_another(fresh_cli, tmp_path):
    first = simulate(fresh_cli(), tmp_path / "a", "--seed", "11")[1]
    again = simulate(fresh_cli(), tmp_path / "b", "--seed", "11")[1]
    other = simulate(fresh_cli(), tmp_path / "c", "--seed", "12")[1]
    assert first == again
    assert other != first


@pytest.fixture
def agencies_down_every_day(monkeypatch):
    monkeypatch.setattr(profile, "AGENCY_HABITS", profile.AgencyHabits(outage_share=1.0, outage_minutes=(300, 400)))


def test_agency_outages_send_cases_to_the_manual_checks(cli, engine, tmp_path, agencies_down_every_day):
    result, _text, _rows = simulate(cli, tmp_path, "--seed", "5")
    assert "agency_outages=" in result.output and "agency_calls_failed=" in result.output
    with engine.read() as session:
        failures = session.execute(
            select(CaseEvent.payload).where(CaseEvent.type == "service_result_recorded")
        ).scalars()
        codes = Counter((payload.get("error") or {}).get("code") for payload in failures)
        manual = session.scalar(select(func.count()).select_from(Task).where(Task.element_id.like("%manually")))
    assert codes["agency_unavailable"] > 0 and manual > 0
    # At the counter the clerk waits for the registry's answer, then checks the papers by hand
    # in the same visit: the manual check is done by the clerk serving the ticket, before it ends.
    with engine.read() as session:
        visits = {
            link.case_id: ticket
            for link, ticket in session.execute(
                select(QueueTicketCase, QueueTicket).join(QueueTicket, QueueTicket.id == QueueTicketCase.ticket_id)
            ).all()
        }
        checks = (
            session.execute(select(Task).where(Task.element_id.like("%manually"), Task.status == "completed"))
            .scalars()
            .all()
        )
    at_counter = [task for task in checks if task.case_id in visits]
    assert at_counter
    for task in at_counter:
        ticket = visits[task.case_id]
        assert task.completed_by == ticket.served_by and utc(task.completed_at) <= utc(ticket.finished_at)
    assert [v.as_dict() for v in engine.verify_all() if not v.ok] == []


def test_the_simulation_refuses_a_database_with_cases_and_a_bad_month(cli, engine, transcript, tmp_path):
    engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk-1"))
    refused, _text, rows = simulate(cli, tmp_path, ok=False)
    assert refused.exit_code == 2 and "already holds cases" in refused.output and rows == []
    bad = cli("simulate-month", "--month", "2026-13", ok=False)
    assert bad.exit_code == 2 and "--month" in bad.output


def test_a_procedure_without_a_line_in_the_profile_joins_with_the_default_share(cli, engine, tmp_path, monkeypatch):
    monkeypatch.setattr(profile, "PROCEDURES", {})  # no procedure has a line: each gets the default share
    _result, _text, rows = simulate(cli, tmp_path, "--seed", "3", "--cases", "1200")
    received = {row["procedure"]: int(row["received"]) for row in rows if row["procedure"] != ALL}
    # Every procedure folder with a standard time in the catalogue gets applicants.
    expected = {folder.name for folder in BPMN.iterdir() if folder.name in catalogue.PROCEDURES}
    assert set(received) == expected and len(expected) >= 6
    assert all(count > 0 for count in received.values()), received


@pytest.fixture
def with_a_complaint_procedure(tmp_path, monkeypatch):
    """The transcript and the audit tests' complaint procedure (answered by the supervisor in
    3 working days), in a folder of their own."""
    from tests.audit.conftest import PROCEDURES
    from workflows import catalogue

    monkeypatch.setitem(
        catalogue.PROCEDURES,
        "complaint_general",
        catalogue.Procedure("complaint_general", "陳情", "Complaint", 3, catalogue.WORKING_DAYS),
    )
    folder = tmp_path / "procedures"
    shutil.copytree(BPMN / "household_transcript", folder / "household_transcript")
    shutil.copytree(PROCEDURES / "complaint_general", folder / "complaint_general")
    # A sub-process deployed on its own (no standard time): nobody applies for it.
    shutil.copytree(PROCEDURES / "document_check", folder / "document_check")
    return folder


def test_complaints_are_reported_with_their_handling_time(cli, engine, tmp_path, with_a_complaint_procedure):
    path = tmp_path / "report.csv"
    cli(
        "simulate-month",
        "--month",
        "2026-03",
        "--days",
        "6",
        "--cases",
        "500",
        "--seed",
        "2",
        "--bpmn",
        str(with_a_complaint_procedure),
        "--csv",
        str(path),
    )
    rows = {row["procedure"]: row for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))}
    with engine.read() as session:
        complaints = session.execute(select(Case).where(Case.procedure_key == "complaint_general")).scalars().all()
    row = rows["complaint_general"]
    handled = [case for case in complaints if case.status == "completed"]
    assert complaints and handled
    assert int(row["complaints_received"]) == len(complaints) == int(row["received"])
    assert int(row["complaints_handled"]) == len(handled)
    assert row["complaint_handling_median_working_days"] != ""
    assert int(rows[ALL]["complaints_received"]) == len(complaints)
    assert rows["household_transcript"]["complaints_received"] == ""
    assert set(rows) == {"complaint_general", "household_transcript", ALL}


def test_a_case_that_does_not_verify_fails_the_command(cli, engine, tmp_path, monkeypatch):
    """Someone edits a case's history between the month and the verification: exit 1."""
    from sqlalchemy import update

    from tests.tampering import tamper
    from workflows.simulation import OfficeSimulation

    simulate_only = OfficeSimulation.run

    def run_then_tamper(simulation, **kwargs):
        result = simulate_only(simulation, **kwargs)
        tamper(
            engine,
            update(CaseEvent).where(CaseEvent.seq == 1, CaseEvent.type == "case_started").values(actor="someone else"),
        )
        return result

    monkeypatch.setattr(OfficeSimulation, "run", run_then_tamper)
    result = cli(*ARGS, "--days", "1", "--cases", "100", ok=False)
    with engine.read() as session:
        total = session.scalar(select(func.count()).select_from(Case))
    assert result.exit_code == 1
    assert f"verified by replay: 0 of {total} cases, {total} FAILED" in result.output


def test_a_timer_that_will_not_fire_does_not_stall_the_month(cli, tmp_path, monkeypatch):
    from engine.background import TimerRunner

    monkeypatch.setattr(TimerRunner, "fire_due", lambda self, *args, **kwargs: 0)
    # Online transcripts held to the counter's 15 minutes, one clerk and the supervisor for a busy
    # day: due dates pass in the back office (and the wake-ups would fire).
    transcript = catalogue.PROCEDURES["household_transcript"]
    monkeypatch.setitem(catalogue.PROCEDURES, "household_transcript", replace(transcript, channels={}))
    result = cli(*ARGS, "--days", "2", "--cases", "2000", "--seed", "4", "--clerks", "1")
    assert "did not fire" in result.output and "problems=" in result.output


def test_verifying_in_worker_processes_gives_the_same_month(fresh_cli, tmp_path, monkeypatch):
    """The month runs in one process; its verification in one or in two gives the same report,
    the same counts and the same verdict, and the run reports its pace."""
    from api.cli import simulation as command

    monkeypatch.setattr(command, "VERIFY_IN_WORKERS_FROM", 1)  # a short month still uses the workers
    alone = simulate(fresh_cli(), tmp_path / "alone", "--seed", "5", "--workers", "1")
    pair = simulate(fresh_cli(), tmp_path / "pair", "--seed", "5", "--workers", "2")
    assert alone[1] == pair[1] and alone[1]

    def summary(output: str) -> list[str]:
        return [line for line in output.splitlines() if "=" in line and "cases_started=" in line]

    assert summary(alone[0].output) == summary(pair[0].output) != []
    for result in (alone[0], pair[0]):
        assert " 0 FAILED" not in result.output and "verified by replay:" in result.output
        assert "cases/s" in result.output and "commands/s" in result.output
