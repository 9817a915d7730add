"""Death registration (死亡登記): the deceased's household record replacing the paper household
register, and the one-time notice with a supplement, driven with the injectable clock.
Withdrawal, the agency failing, the SLA breach and cancellation are in the suite every procedure
runs (test_office_procedures.py); receipt, channels and rating in test_shared_steps.py."""

from __future__ import annotations

import pytest

from engine import commands as cmd
from engine import files_from_folder
from tests.conftest import BPMN
from tests.engine.helpers import case_row, complete, open_task

from .test_move_in_registration import data_of, step_data

REGISTER = {"household_number": "K0077889", "id_card_returned": True}


def receive(deceased_name: str = "蔡明哲", documents=("death_certificate", "national_id_card")) -> dict:
    return {
        "national_id": "A123456789",
        "applicant_name": "王小明",
        "relationship": "child",
        "deceased_national_id": "K123004560",
        "deceased_name": deceased_name,
        "date_of_death": "2026-02-27",
        "place_of_death": {"city": "臺北市", "district": "中正區"},
        "documents_presented": list(documents),
    }


@pytest.fixture
def death(engine):
    return engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / "death_registration"), actor="designer"))


def started(engine, data: dict) -> str:
    case_id = engine.handle(cmd.StartCase("death_registration", {}, actor="clerk-1")).case_id
    complete(engine, case_id, "receive_application", data)
    return case_id


def test_the_register_replaces_the_paper_register_and_the_death_is_registered(engine, death):
    case_id = started(engine, receive())
    assert open_task(engine, case_id, "register_death").lane == "Clerk"
    complete(engine, case_id, "register_death", REGISTER)
    engine.handle(cmd.DeliverMessage(case_id, "rating_received", {"score": 5}, actor="applicant"))
    assert case_row(engine, case_id).status == "completed"
    data = data_of(engine, case_id)
    assert data["agency_confirmed"] == ["household_register"] and data["supplement_rounds"] == 0
    assert engine.verify_case(case_id).ok


def test_no_matching_record_needs_the_paper_register_then_it_is_supplied(engine, death, clock):
    case_id = started(engine, receive(deceased_name="蔡明德", documents=["national_id_card"]))
    assert step_data(engine, case_id, "issue_notice")["missing_documents"] == [
        "death_certificate",
        "household_register",
    ]
    complete(engine, case_id, "issue_notice", {"notice_delivered_by": "in_person"})
    assert case_row(engine, case_id).sla_paused_at == clock.now()
    engine.handle(
        cmd.DeliverMessage(
            case_id, "documents_supplied", {"documents": ["death_certificate", "household_register"]}, actor="clerk-1"
        )
    )
    assert open_task(engine, case_id, "register_death")
    assert data_of(engine, case_id)["supplement_rounds"] == 1
    assert engine.verify_case(case_id).ok
