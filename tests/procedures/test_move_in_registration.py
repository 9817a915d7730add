"""Move-in registration (遷入登記), with the shared document check (一次告知): the land registry's
answer, the one-time notice and its supplement, the residence check, and cancellation while
waiting for documents, driven with the injectable clock. Withdrawal, the land registry failing
and the SLA breach are in the suite every procedure runs (test_office_procedures.py)."""

from __future__ import annotations

from datetime import datetime

import pytest
from SpiffWorkflow.util.task import TaskState

from engine import commands as cmd
from engine import files_from_folder
from engine.storage import queries
from engine.workflow import serialization
from scripts.sync_shared_bpmn import stale_copies
from tests.conftest import BPMN
from tests.engine.helpers import case_row, complete, events, open_task, open_tasks, pass_due
from workflows.calendar import OFFICE_ZONE

OWNER_ID = "A123456789"  # owns 臺北市大安區仁愛路四段100號5樓 in the simulator's land registry
TENANT_ID = "F131104093"  # owns nothing there
ADDRESS = {"city": "臺北市", "district": "大安區", "street": "仁愛路四段", "number": "100", "floor": 5}
ALL_BUT_PROOF = ["national_id_card", "household_register"]


def taipei(*parts) -> datetime:
    return datetime(*parts, tzinfo=OFFICE_ZONE)


def receive(national_id: str = OWNER_ID, documents=ALL_BUT_PROOF, basis: str = "owner") -> dict:
    return {
        "national_id": national_id,
        "applicant_name": "王小明",
        "move_in_date": "2026-03-01",
        "new_address": ADDRESS,
        "residence_basis": basis,
        "documents_presented": list(documents),
    }


@pytest.fixture
def move_in(engine):
    return engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / "move_in_registration"), actor="designer"))


def started(engine, data: dict) -> str:
    case_id = engine.handle(cmd.StartCase("move_in_registration", {}, actor="clerk-1")).case_id
    complete(engine, case_id, "receive_application", data)
    return case_id


def data_of(engine, case_id: str) -> dict:
    return engine.case_state(case_id)["data"]


def step_data(engine, case_id: str, element_id: str) -> dict:
    """The data an open step sees, also inside the called document check (the case's summary
    shows the main process only)."""
    with engine.read() as session:
        case = queries.get_case(session, case_id)
        definition = engine.deployments.get(session, case.definition_id)
    workflow = serialization.loads(case.state, definition.spec, definition.subprocess_specs)
    # The workflow's task iterator descends into the running call activities.
    [task] = [
        task
        for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING)
        if task.task_spec.bpmn_id == element_id
    ]
    return task.data


def let_the_documents_lapse(engine, clock, case_id: str) -> None:
    """The one notice goes out and nothing arrives: at the supplement deadline the reminder
    (due on the way) is done and the application is withdrawn."""
    complete(engine, case_id, "issue_notice", {"notice_delivered_by": "mail"})
    pass_due(clock, datetime.fromisoformat(step_data(engine, case_id, "await_documents")["supplement_deadline"]))
    engine.handle(cmd.FireDueTimers(case_id))
    complete(engine, case_id, "send_reminder", {"reminded_by": "phone"})


def test_the_shared_document_check_copies_are_current():
    assert stale_copies() == []


def test_an_owner_moves_in_in_one_visit_without_paper_proof_and_rates(engine, move_in, clock):
    case_id = started(engine, receive())
    # The land registry names the owner: it replaces the paper proof and establishes the right
    # to live there, so no residence check: the move-in is registered in the same visit.
    register = open_task(engine, case_id, "register_move_in")
    row = case_row(engine, case_id)
    assert register.lane == "Clerk" and register.due_at == row.due_at == taipei(2026, 3, 2, 9, 40)  # 40 minutes
    assert row.sla_standard is None
    clock.advance(minutes=25)
    complete(engine, case_id, "register_move_in", {"household_number": "A0012345", "fee_paid": 0})
    assert case_row(engine, case_id).served_at == clock.now()
    engine.handle(cmd.DeliverMessage(case_id, "rating_received", {"score": 5}, actor="applicant"))
    row = case_row(engine, case_id)
    assert row.status == "completed" and row.overdue_at is None
    data = data_of(engine, case_id)
    assert data["ownership"]["owner"] is True and data["agency_confirmed"] == ["proof_of_residence"]
    assert data["residence_established"] is True and data["residence_check_needed"] is False
    assert (data["missing_documents"], data["supplement_rounds"], data["notices_issued"]) == ([], 0, 0)
    assert data["address_line"] == "臺北市大安區仁愛路四段100號5樓"
    assert engine.verify_case(case_id).ok


def test_a_tenant_gets_a_residence_check_within_three_working_days(engine, move_in, clock):
    """The registry does not name the applicant as the owner: the residence check switches the
    case to its own standard, 3 working days from receipt (Monday -> Thursday at closing)."""
    case_id = started(engine, receive(TENANT_ID, [*ALL_BUT_PROOF, "proof_of_residence"], basis="lease"))
    row = case_row(engine, case_id)
    assert row.sla_standard == "residence_check" and row.due_at == taipei(2026, 3, 5, 17)
    switched = next(e for e in events(engine, case_id) if e.type == "sla_standard_changed")
    assert switched.element_id == "plan_residence_check"
    assert (switched.payload["standard"], switched.payload["amount"], switched.payload["unit"]) == (
        "residence_check",
        3,
        "working_days",
    )
    assert switched.payload["previous_due_at"] == "2026-03-02T09:40:00+08:00"
    check = open_task(engine, case_id, "residence_check")
    assert check.due_at == row.due_at  # the visit's deadline is the case's
    clock.set(taipei(2026, 3, 4, 10))
    complete(
        engine,
        case_id,
        "residence_check",
        {"residence_confirmed": True, "checked_on": "2026-03-04", "method": "site_visit"},
    )
    complete(engine, case_id, "register_move_in", {"household_number": "A0012345", "fee_paid": 0})
    row = case_row(engine, case_id)
    assert row.served_at == clock.now() and row.overdue_at is None
    assert engine.verify_case(case_id).ok


def test_missing_documents_get_one_notice_the_clock_pauses_and_the_supplement_is_counted(engine, move_in, clock):
    case_id = started(engine, receive(TENANT_ID, ["national_id_card"], basis="lease"))
    notice = open_task(engine, case_id, "issue_notice")
    assert notice.lane == "Clerk" and notice.form_key == "issue_notice.schema.json"
    # Everything missing is in the one notice, the proof of residence included (no owner in the registry).
    notice_data = step_data(engine, case_id, "issue_notice")
    assert notice_data["missing_documents"] == ["household_register", "proof_of_residence"]
    complete(engine, case_id, "issue_notice", {"notice_delivered_by": "in_person"})
    assert open_tasks(engine, case_id) == [] and case_row(engine, case_id).sla_paused_at == clock.now()
    clock.advance(days=2)
    engine.handle(
        cmd.DeliverMessage(
            case_id, "documents_supplied", {"documents": ["household_register", "proof_of_residence"]}, actor="clerk-1"
        )
    )
    assert open_task(engine, case_id, "residence_check")
    data = data_of(engine, case_id)
    assert (data["supplement_rounds"], data["notices_issued"], data["missing_documents"]) == (1, 1, [])
    kinds = [e.type for e in events(engine, case_id)]
    assert "sla_paused" in kinds and "sla_resumed" in kinds
    assert case_row(engine, case_id).sla_paused_at is None
    assert engine.verify_case(case_id).ok


def test_no_residence_found_rejects_the_move_in(engine, move_in):
    case_id = started(engine, receive(TENANT_ID, [*ALL_BUT_PROOF, "proof_of_residence"], basis="owner_consent"))
    complete(
        engine,
        case_id,
        "residence_check",
        {"residence_confirmed": False, "checked_on": "2026-03-03", "method": "site_visit"},
    )
    assert case_row(engine, case_id).status == "completed" and open_tasks(engine, case_id) == []
    assert data_of(engine, case_id)["residence_confirmed"] is False


def test_cancellation_closes_a_case_waiting_for_documents(engine, move_in):
    case_id = started(engine, receive(TENANT_ID, [], basis="lease"))
    complete(engine, case_id, "issue_notice", {"notice_delivered_by": "mail"})
    engine.handle(cmd.CancelCase(case_id, "applicant withdrew", actor="clerk-1"))
    case = case_row(engine, case_id)
    assert (case.status, case.close_reason) == ("cancelled", "applicant withdrew")
    assert open_tasks(engine, case_id) == []
