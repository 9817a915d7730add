"""Timer fixtures: the engine wired like the app plus two small test procedures with their
standard times, and helpers to move the manual clock in office time."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from engine import commands as cmd
from engine import files_from_folder
from workflows.calendar import OFFICE_ZONE
from workflows.catalogue import PROCEDURES, WORKING_DAYS, Procedure

HERE = Path(__file__).resolve().parent
TEST_PROCEDURES = {
    "documents_pause": Procedure("documents_pause", "補件測試", "Documents pause", 3, WORKING_DAYS),
}


def taipei(*parts) -> datetime:
    return datetime(*parts, tzinfo=OFFICE_ZONE)


@pytest.fixture
def timer_engine(engine):
    """The app's engine, with the test procedures in its catalogue and their BPMN deployed."""
    engine.catalogue.procedures = {**PROCEDURES, **TEST_PROCEDURES}
    files = files_from_folder(HERE / "bpmn")
    for key in ("documents_pause", "reminders_deadline"):
        name = f"{key}.bpmn"
        engine.handle(cmd.DeployDefinition({name: files[name]}, actor="designer"))
    return engine
