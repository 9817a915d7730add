"""Findings: the improvement candidates of a simulated month with a bottleneck, through the API,
checked against the database."""

from __future__ import annotations

from datetime import timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine.storage import Case, Task
from workflows.simulation import StaffLine, parse_staff

from ..api.conftest import app, call, client, tokens  # noqa: F401  (fixtures)
from .conftest import BOTTLENECK, PROCEDURE

PERIOD = {"from": "2026-03-01", "to": "2026-03-31"}
TAIPEI = ZoneInfo("Asia/Taipei")


def aware(moment):
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def cases_stuck_at(engine, element_id: str) -> set[str]:
    """Cases whose task at the element was open when their due date passed (recomputed)."""
    now = engine.clock.now()
    with engine.read() as session:
        rows = session.execute(
            select(Task.case_id, Task.created_at, Task.completed_at, Task.due_at, Case.due_at.label("case_due"))
            .join(Case, Case.id == Task.case_id)
            .where(Task.element_id == element_id)
        ).all()
    stuck = set()
    for row in rows:
        due = aware(row.due_at or row.case_due)
        if due is not None and aware(row.created_at) <= due < aware(row.completed_at or now):
            stuck.add(row.case_id)
    return stuck


def test_the_bottleneck_step_ranks_first_with_its_cases(engine, bottleneck_month, call):  # noqa: F811
    answer = call("GET", "/api/improvement/findings", user="supervisor", query=PERIOD)
    assert answer.status == 200, answer.json
    result = answer.json
    with engine.read() as session:
        received = session.scalar(select(Case.id).where(Case.procedure_key == PROCEDURE).limit(1))
    assert received and result["cases_received"] > 40
    first = result["candidates"][0]
    assert (first["rank"], first["kind"], first["procedure"], first["element_id"]) == (
        1,
        "step_wait",
        PROCEDURE,
        BOTTLENECK,
    )
    assert first["element_name"].startswith("現場勘查") and first["diagram_file"] == "house_number.bpmn"
    stuck = cases_stuck_at(engine, BOTTLENECK)
    assert first["cases"] == len(stuck) > 0 and first["hours_beyond_standard"] > 0
    assert {item["id"] for item in first["case_list"]} <= stuck
    assert first["case_search"] == {"procedure": PROCEDURE, **PERIOD}
    # Ranked by the cases behind each, then by the kind's own figure.
    keys = [(-c["cases"], -c["figure"]) for c in result["candidates"]]
    assert keys == sorted(keys)
    kinds = {c["kind"] for c in result["candidates"]}
    assert "missing_document" in kinds
    document = next(c for c in result["candidates"] if c["kind"] == "missing_document")
    assert document["element_id"] == "issue_notice" and document["diagram_file"] == "document_check.bpmn"
    assert document["notice_rounds"] >= document["cases"] > 0

    only = call("GET", "/api/improvement/findings", user="designer", query={**PERIOD, "kind": "missing_document"})
    assert {c["kind"] for c in only.json["candidates"]} == {"missing_document"}
    empty = call("GET", "/api/improvement/findings", user="auditor", query={"from": "2026-05-01", "to": "2026-05-31"})
    assert (empty.json["cases_received"], empty.json["candidates"]) == (0, [])


def test_findings_refuse_clerks_and_bad_input(call):  # noqa: F811
    assert call("GET", "/api/improvement/findings", user="clerk").status == 403
    bad = call("GET", "/api/improvement/findings", user="supervisor", query={"kind": "everything"})
    assert bad.status == 422 and "kind" in bad.body.decode()
    backwards = call(
        "GET", "/api/improvement/findings", user="supervisor", query={"from": "2026-03-31", "to": "2026-03-01"}
    )
    assert backwards.status == 422 and "to" in backwards.body.decode()


def test_the_staff_works_its_own_lanes_in_its_own_hours(engine, bottleneck_month):
    """The month's staff: clerks 1-2 of the Clerk lane, clerk 3 the surveyor from 9 to 10."""
    with engine.read() as session:
        done = session.execute(select(Task.element_id, Task.lane, Task.completed_by, Task.completed_at)).all()
    surveys = [row for row in done if row.element_id == BOTTLENECK and row.completed_by]
    assert surveys and {row.completed_by for row in surveys} <= {"clerk-3", "supervisor-1"}
    by_surveyor = [row for row in done if row.completed_by == "clerk-3"]
    assert {row.lane for row in by_surveyor} == {"Surveyor"}
    assert all(9 <= aware(row.completed_at).astimezone(TAIPEI).hour < 10 for row in by_surveyor)


def test_staff_lines_are_read_from_the_command_line_form():
    assert parse_staff("*=3, Surveyor=1@9-12") == (StaffLine(None, 3), StaffLine("Surveyor", 1, (9, 12)))
    for bad in ("Surveyor", "Surveyor=x", "Surveyor=1@7-12", "Surveyor=1@12-9", "=2", ""):
        with pytest.raises(ValueError):
            parse_staff(bad)
