"""Marriage (結婚登記) and divorce registration (兩願離婚 by agreement, 判決離婚 by judgment), one
suite for the three: both parties' household records replacing the paper household register,
the checksum failing, the agency failing, the one-time notice, supplement rounds, withdrawal,
the SLA breach and cancellation, driven with the injectable clock. The receipt, the channel
intake and the rating are tested for these procedures in test_shared_steps.py."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from engine import InvalidInput, files_from_folder
from engine import commands as cmd
from tests.agencies.conftest import HOUSEHOLD, SimulatorControl
from tests.conftest import BPMN
from tests.engine.helpers import case_row, complete, events, open_task, open_tasks, pass_due

from .journeys import COUPLE_REGISTER, DIVORCE, MARRIAGE
from .test_move_in_registration import data_of, let_the_documents_lapse, step_data

BAD_CHECKSUM = "S220770128"  # the pattern holds, the checksum does not


@dataclass(frozen=True)
class Kind:
    name: str
    procedure: str
    receive: dict  # every document but the household register, which the agency check replaces
    register: str
    case_type: str
    paper: tuple[str, ...]  # the papers the kind of registration needs besides ID card and register

    def receiving(self, **changes) -> dict:
        return {**self.receive, **changes}


# 判決離婚: one party files with the court's judgment; no witnesses.
JUDGMENT = {key: value for key, value in DIVORCE.items() if key != "witnesses"} | {
    "divorce_type": "judgment",
    "judgment": {"court": "臺灣新北地方法院", "case_number": "114年度婚字第123號", "final_on": "2025-12-20"},
    "documents_presented": ["court_judgment", "finality_certificate", "national_id_card", "photos"],
}

KINDS = {
    kind.name: kind
    for kind in [
        Kind(
            "marriage",
            "marriage_registration",
            MARRIAGE,
            "register_marriage",
            "marriage",
            ("marriage_agreement", "photos"),
        ),
        Kind(
            "divorce_by_agreement",
            "divorce_registration",
            DIVORCE,
            "register_divorce",
            "divorce_by_agreement",
            ("divorce_agreement", "photos"),
        ),
        Kind(
            "divorce_by_judgment",
            "divorce_registration",
            JUDGMENT,
            "register_divorce",
            "divorce_by_judgment",
            ("court_judgment", "finality_certificate", "photos"),
        ),
    ]
}


@pytest.fixture(params=sorted(KINDS))
def kind(request, engine) -> Kind:
    kind = KINDS[request.param]
    deployed = engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / kind.procedure), actor="designer"))
    assert deployed.findings == []
    return kind


def started(engine, kind: Kind, data: dict | None = None, run_jobs: bool = True) -> str:
    case_id = engine.handle(cmd.StartCase(kind.procedure, {}, actor="clerk-1")).case_id
    complete(engine, case_id, "receive_application", data or kind.receive, run_jobs=run_jobs)
    return case_id


def spouse(kind: Kind, **changes) -> dict:
    return {**kind.receive["spouse"], **changes}


def test_both_records_replace_the_paper_register_and_the_registration_is_done(engine, kind, agencies, clock):
    before = agencies.stats()["requests"]
    case_id = started(engine, kind)
    register = open_task(engine, case_id, kind.register)  # no notice: nothing is missing
    assert register.lane == "Clerk" and register.due_at == case_row(engine, case_id).due_at
    assert agencies.stats()["requests"] - before == 2  # the applicant and the spouse
    complete(engine, case_id, kind.register, COUPLE_REGISTER)
    engine.handle(cmd.RecordRating(case_id, 5, None))
    assert case_row(engine, case_id).status == "completed"
    data = data_of(engine, case_id)
    assert data["case_type"] == kind.case_type and data["agency_confirmed"] == ["household_register"]
    assert data["applicant_record"]["match"] and data["spouse_record"]["match"]
    assert (data["missing_documents"], data["notices_issued"], data["supplement_rounds"]) == ([], 0, 0)
    assert engine.verify_case(case_id).ok


def test_a_spouse_record_that_does_not_match_needs_the_paper_register_then_it_is_supplied(engine, kind, clock):
    case_id = started(engine, kind, kind.receiving(spouse=spouse(kind, name="某某某"), documents_presented=[]))
    # One notice lists every missing paper, the household register included.
    assert step_data(engine, case_id, "issue_notice")["missing_documents"] == sorted(
        ["national_id_card", "household_register", *kind.paper], key=_required_order(kind)
    )
    complete(engine, case_id, "issue_notice", {"notice_delivered_by": "in_person"})
    assert case_row(engine, case_id).sla_paused_at == clock.now()
    clock.advance(hours=3)
    engine.handle(
        cmd.DeliverMessage(
            case_id,
            "documents_supplied",
            {"documents": ["national_id_card", "household_register", *kind.paper]},
            actor="clerk-1",
        )
    )
    assert open_task(engine, case_id, kind.register)
    data = data_of(engine, case_id)
    assert data["agency_confirmed"] == [] and data["spouse_record"]["match"] is False
    assert (data["supplement_rounds"], data["notices_issued"]) == (1, 1)
    assert "sla_resumed" in [event.type for event in events(engine, case_id)]
    assert engine.verify_case(case_id).ok


def _required_order(kind: Kind):
    """The notice lists documents in the decision table's order."""
    order = {
        "marriage": ["marriage_agreement", "national_id_card", "household_register", "photos"],
        "divorce_by_agreement": ["divorce_agreement", "national_id_card", "household_register", "photos"],
        "divorce_by_judgment": [
            "court_judgment",
            "finality_certificate",
            "national_id_card",
            "household_register",
            "photos",
        ],
    }[kind.name]
    return order.index


def test_nothing_supplied_withdraws_the_application(engine, kind, clock):
    case_id = started(engine, kind, kind.receiving(documents_presented=[]))
    let_the_documents_lapse(engine, clock, case_id)
    assert case_row(engine, case_id).status == "completed" and open_tasks(engine, case_id) == []
    assert data_of(engine, case_id)["documents_complete"] is False
    assert engine.verify_case(case_id).ok


def test_the_register_failing_on_the_spouse_sends_both_records_to_the_clerk(
    engine, kind, agencies: SimulatorControl, clock
):
    case_id = started(engine, kind, run_jobs=False)
    assert engine.run_due_jobs() == {"answered": 1}  # the applicant's record
    agencies.fault(agency=HOUSEHOLD, mode="error", status=503, times=3)
    for delay in (2, 4):
        assert engine.run_due_jobs() == {"retry": 1}
        clock.advance(seconds=delay)
    assert engine.run_due_jobs() == {"failed": 1}
    manual = open_task(engine, case_id, "check_records_manually")
    assert manual.lane == "Clerk" and data_of(engine, case_id)["agency_failure"]["code"] == "agency_unavailable"
    complete(
        engine,
        case_id,
        "check_records_manually",
        {"records_confirmed": True, "record_checked_by": "phone_to_registering_office"},
    )
    assert open_task(engine, case_id, kind.register)  # the clerk's check replaced the paper
    assert data_of(engine, case_id)["agency_confirmed"] == ["household_register"]
    assert engine.verify_case(case_id).ok


def test_an_id_number_failing_its_checksum_goes_to_the_clerk_without_asking_the_agency(engine, kind, agencies):
    before = agencies.stats()["requests"]
    case_id = started(engine, kind, kind.receiving(spouse=spouse(kind, national_id=BAD_CHECKSUM)))
    assert open_task(engine, case_id, "check_records_manually")
    assert agencies.stats()["requests"] == before and data_of(engine, case_id)["ids_valid"] is False
    complete(
        engine, case_id, "check_records_manually", {"records_confirmed": False, "record_checked_by": "not_checked"}
    )
    assert step_data(engine, case_id, "issue_notice")["missing_documents"] == ["household_register"]


def test_the_standard_time_passing_alerts_the_supervisor(engine, kind, clock):
    case_id = started(engine, kind)
    due = case_row(engine, case_id).due_at
    pass_due(clock, due)
    engine.handle(cmd.FireDueTimers(case_id))
    assert open_task(engine, case_id, "review_delay").lane == "Supervisor"
    assert case_row(engine, case_id).overdue_at == due
    assert open_task(engine, case_id, kind.register)  # the clerk's step stays open


def test_cancellation_closes_a_case_waiting_for_documents(engine, kind):
    case_id = started(engine, kind, kind.receiving(documents_presented=[]))
    complete(engine, case_id, "issue_notice", {"notice_delivered_by": "email"})
    engine.handle(cmd.CancelCase(case_id, "the parties withdrew", actor="clerk-1"))
    case = case_row(engine, case_id)
    assert (case.status, case.close_reason) == ("cancelled", "the parties withdrew")
    assert open_tasks(engine, case_id) == []


@pytest.mark.parametrize(
    "change, field",
    [
        ({"divorce_type": "agreement", "witnesses": None}, "witnesses"),  # 兩願離婚 needs two witnesses
        ({"divorce_type": "judgment", "judgment": None}, "judgment"),  # 判決離婚 needs the judgment
        ({"witnesses": [{"name": "吳宗憲"}]}, "witnesses"),
        ({"divorce_date": "2026-02-30"}, "divorce_date"),
    ],
)
def test_the_divorce_form_asks_for_what_the_kind_of_divorce_needs(engine, change, field):
    engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / "divorce_registration"), actor="designer"))
    case = engine.handle(cmd.StartCase("divorce_registration", {}, actor="clerk-1"))
    data = {key: value for key, value in {**DIVORCE, **JUDGMENT, **change}.items() if value is not None}
    with pytest.raises(InvalidInput) as refused:
        engine.handle(cmd.CompleteTask(case.open_tasks[0].id, "clerk-1", data))
    assert field in str(refused.value.details)
