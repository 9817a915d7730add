"""Feedback per BPMN step (服務評價回饋): waiting and working time, supplement rounds, breaches and
low ratings per element, compared between two versions of a procedure."""

from __future__ import annotations

from datetime import date

import pytest

from engine import commands as cmd
from engine import files_from_folder
from workflows import catalogue
from workflows.reports import run_report

from ..engine.helpers import open_task
from .conftest import PROCEDURES, start_case, supply_documents

MARCH = {"first": date(2026, 3, 1), "last": date(2026, 3, 31)}


def claim_and_complete(engine, clock, case_id, element_id, *, wait_hours, work_hours, data=None, actor="clerk-1"):
    clock.advance(hours=wait_hours)
    task = open_task(engine, case_id, element_id)
    engine.handle(cmd.ClaimTask(task.id, actor))
    clock.advance(hours=work_hours)
    engine.handle(cmd.CompleteTask(task.id, actor, data or {}))


def deploy_second_version(engine):
    files = files_from_folder(PROCEDURES / "document_check")
    files["document_check.bpmn"] = files["document_check.bpmn"].replace(
        b"Review documents", b"Review documents (checklist)"
    )
    return engine.handle(cmd.DeployDefinition(files, actor="designer"))


@pytest.fixture
def two_versions(procedures, clock, monkeypatch):
    """Document checks due in 1 working day. Version 1 (Monday): one case waits 1 office hour for
    review, takes 2, needs documents once and is rated 1; another is reviewed late (the due date
    passes while it waits). Version 2 (Thursday): reviews are claimed at once and take 1 hour."""
    monkeypatch.setitem(
        catalogue.PROCEDURES,
        "document_check",
        catalogue.Procedure("document_check", "文件審查", "Document check", 1, catalogue.WORKING_DAYS),
    )
    engine = procedures
    supplied = start_case(engine, "document_check")
    claim_and_complete(
        engine,
        clock,
        supplied.case_id,
        "review_documents",
        wait_hours=1,
        work_hours=2,
        data={"documents_complete": False},
    )
    supply_documents(engine, supplied.case_id)
    claim_and_complete(
        engine,
        clock,
        supplied.case_id,
        "review_documents",
        wait_hours=0,
        work_hours=1,
        data={"documents_complete": True},
    )
    claim_and_complete(engine, clock, supplied.case_id, "register", wait_hours=0, work_hours=1)
    engine.handle(cmd.RecordRating(supplied.case_id, 1, "要補件兩次"))

    stuck = start_case(engine, "document_check")  # Monday 14:00: due Tuesday 17:00
    clock.advance(days=2)  # Wednesday 14:00
    claim_and_complete(
        engine, clock, stuck.case_id, "review_documents", wait_hours=0, work_hours=1, data={"documents_complete": True}
    )
    claim_and_complete(engine, clock, stuck.case_id, "register", wait_hours=0, work_hours=1)

    deploy_second_version(engine)
    clock.advance(hours=17)  # Thursday 09:00
    for _ in range(2):
        case = start_case(engine, "document_check")
        claim_and_complete(
            engine,
            clock,
            case.case_id,
            "review_documents",
            wait_hours=0,
            work_hours=1,
            data={"documents_complete": True},
        )
        claim_and_complete(engine, clock, case.case_id, "register", wait_hours=0, work_hours=0.5)
        engine.handle(cmd.RecordRating(case.case_id, 5, None))
    return engine


def test_each_step_per_version(two_versions):
    report = run_report(two_versions, "steps", procedure="document_check", **MARCH)
    rows = {(row["version"], row["element_id"]): row for row in report["rows"]}
    review_v1 = rows[(1, "review_documents")]
    assert review_v1["element_name"] == "審查文件 Review documents"
    assert (review_v1["instances"], review_v1["completed"]) == (3, 3)  # two rounds in one case, one in the other
    # waited 1, 0 and 18 office hours (Monday 14:00 to Wednesday 14:00); worked 2, 1 and 1
    assert (review_v1["waiting_median"], review_v1["waiting_p90"], review_v1["working_median"]) == (1.0, 14.6, 1.0)
    assert review_v1["working_p90"] == 1.8  # 1, 1, 2 office hours
    assert review_v1["supplement_rounds"] == 1 and review_v1["supplement_rate"] == 0.3333
    assert review_v1["breaches"] == 1  # the stuck case passed its due date waiting here
    assert (review_v1["rated"], review_v1["low_ratings"]) == (2, 2)
    register_v1 = rows[(1, "register")]
    assert register_v1["supplement_rounds"] == 0 and register_v1["breaches"] == 0

    review_v2 = rows[(2, "review_documents")]
    assert review_v2["element_name"] == "審查文件 Review documents (checklist)"
    assert (review_v2["instances"], review_v2["working_median"], review_v2["breaches"]) == (2, 1.0, 0)
    assert (review_v2["rated"], review_v2["low_ratings"], review_v2["low_rating_rate"]) == (2, 0, 0.0)


def test_versions_compared_per_element(two_versions):
    report = run_report(two_versions, "steps", procedure="document_check", **MARCH)
    review = next(item for item in report["versions"] if item["element_id"] == "review_documents")
    assert review["versions"] == [1, 2]
    assert review["change"]["breach_rate"] == -0.3333 and review["change"]["supplement_rate"] == -0.3333
    assert review["change"]["low_rating_rate"] == -1.0


def test_api_steps_report(call, two_versions):
    answer = call(
        "GET",
        "/api/reports/steps",
        user="auditor",
        query={"procedure": "document_check", "from": "2026-03-01", "to": "2026-03-31"},
    )
    assert answer.status == 200
    assert {(row["version"], row["element_id"]) for row in answer.json["rows"]} == {
        (1, "review_documents"),
        (1, "register"),
        (2, "review_documents"),
        (2, "register"),
    }
    as_csv = call(
        "GET",
        "/api/reports/steps",
        user="auditor",
        query={"procedure": "document_check", "from": "2026-03-01", "to": "2026-03-31", "format": "csv"},
    )
    assert as_csv.body.decode().splitlines()[0].startswith("procedure,version,element_id,element_name,instances")
