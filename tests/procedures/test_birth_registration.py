"""Birth registration (出生登記): the parent's household record replacing the paper household
register, and the one-time notice with its supplement rounds, driven with the injectable clock.
Withdrawal, the agency failing, the SLA breach and cancellation are in the suite every procedure
runs (test_office_procedures.py); receipt, channels and rating in test_shared_steps.py."""

from __future__ import annotations

import pytest

from engine import commands as cmd
from engine import files_from_folder
from tests.conftest import BPMN
from tests.engine.helpers import case_row, complete, events, open_task

from .test_move_in_registration import data_of, step_data

ALL_BUT_REGISTER = ["birth_certificate", "national_id_card", "surname_agreement"]
REGISTER = {"child_national_id": "A201543212", "household_number": "A0012345"}


def receive(name: str = "王小明", documents=ALL_BUT_REGISTER) -> dict:
    return {
        "national_id": "A123456789",
        "applicant_name": name,
        "child_name": "王小華",
        "child_birth_date": "2026-01-20",
        "child_sex": "male",
        "birth_place": {"city": "臺北市", "district": "大安區", "facility": "臺大醫院"},
        "surname_from": "father",
        "documents_presented": list(documents),
    }


@pytest.fixture
def birth(engine):
    return engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / "birth_registration"), actor="designer"))


def started(engine, data: dict) -> str:
    case_id = engine.handle(cmd.StartCase("birth_registration", {}, actor="clerk-1")).case_id
    complete(engine, case_id, "receive_application", data)
    return case_id


def test_the_register_replaces_the_paper_register_and_the_birth_is_registered(engine, birth, clock):
    case_id = started(engine, receive())
    register = open_task(engine, case_id, "register_birth")
    assert register.lane == "Clerk" and register.due_at == case_row(engine, case_id).due_at
    complete(engine, case_id, "register_birth", REGISTER)
    engine.handle(cmd.DeliverMessage(case_id, "rating_received", {"score": 4}, actor="applicant"))
    assert case_row(engine, case_id).status == "completed"
    data = data_of(engine, case_id)
    assert data["agency_confirmed"] == ["household_register"] and data["notices_issued"] == 0
    assert engine.verify_case(case_id).ok


def test_a_record_that_does_not_match_needs_the_paper_register_then_it_is_supplied(engine, birth, clock):
    case_id = started(engine, receive(name="王大明", documents=["birth_certificate", "national_id_card"]))
    assert step_data(engine, case_id, "issue_notice")["missing_documents"] == [
        "household_register",
        "surname_agreement",
    ]
    complete(engine, case_id, "issue_notice", {"notice_delivered_by": "email"})
    assert case_row(engine, case_id).sla_paused_at == clock.now()
    clock.advance(hours=20)
    engine.handle(
        cmd.DeliverMessage(case_id, "documents_supplied", {"documents": ["household_register"]}, actor="clerk-1")
    )
    # Still missing one: a second notice lists what is left.
    assert step_data(engine, case_id, "issue_notice")["missing_documents"] == ["surname_agreement"]
    complete(engine, case_id, "issue_notice", {"notice_delivered_by": "email"})
    engine.handle(
        cmd.DeliverMessage(case_id, "documents_supplied", {"documents": ["surname_agreement"]}, actor="clerk-1")
    )
    assert open_task(engine, case_id, "register_birth")
    data = data_of(engine, case_id)
    assert (data["supplement_rounds"], data["notices_issued"]) == (2, 2)
    assert [e.type for e in events(engine, case_id)].count("sla_resumed") == 2
    assert engine.verify_case(case_id).ok
