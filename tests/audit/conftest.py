"""Fixtures of the audit tests: the API fixtures (users, tokens, the test client), two small
procedures of the tests' own (a document check with supplement rounds, a complaint), and
helpers that drive cases through engine commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import commands as cmd
from engine import files_from_folder
from workflows import catalogue

from ..api.conftest import app, call, client, tokens  # noqa: F401  (fixtures)
from ..engine.helpers import open_task

PROCEDURES = Path(__file__).parent / "procedures"


@pytest.fixture
def procedures(engine, transcript, monkeypatch):
    """The transcript, the document check and the complaint procedure, deployed; complaints
    must be answered in 3 working days."""
    monkeypatch.setitem(
        catalogue.PROCEDURES,
        "complaint_general",
        catalogue.Procedure("complaint_general", "陳情", "Complaint", 3, catalogue.WORKING_DAYS),
    )
    for name in ("document_check", "complaint_general"):
        engine.handle(cmd.DeployDefinition(files_from_folder(PROCEDURES / name), actor="designer"))
    return engine


def start_case(engine, procedure: str, actor: str = "clerk-1", **kwargs):
    return engine.handle(cmd.StartCase(procedure, kwargs.pop("data", {}), actor=actor, **kwargs))


def work(engine, case_id: str, element_id: str, data: dict | None = None, actor: str = "clerk-1", claim: bool = False):
    task = open_task(engine, case_id, element_id)
    if claim:
        engine.handle(cmd.ClaimTask(task.id, actor))
    changed = engine.handle(cmd.CompleteTask(task.id, actor, data or {}))
    engine.run_due_jobs()  # the worker performs the agency calls the step queued
    return changed


def supply_documents(engine, case_id: str):
    return engine.handle(cmd.DeliverMessage(case_id, "documents_supplied", {"pages": 2}, actor="applicant"))


def json_lines(output: str) -> list:
    return [json.loads(line) for line in output.splitlines() if line.strip()]
