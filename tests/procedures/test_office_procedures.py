"""The office's procedures end to end, one parametrised suite: birth (出生登記), death (死亡登記)
and move-in (遷入登記) registration, national ID card (國民身分證), seal registration
(印鑑登記/證明), name change (改名), house number assignment (門牌編釘) and complaints (陳情).
Marriage and divorce, which check two people, have their own suite
(test_couple_registrations.py). Each is driven with the injectable clock through every branch
it has: main path, missing documents then supplied, nothing supplied, the agency failing and the
clerk's manual check, the SLA breach and cancellation (the receipt, channel intake and rating,
low rating included, are the shared steps' suite: test_shared_steps.py, from journeys.py). The
branches particular to one procedure (a refused seal, a criminal record, a rejected survey, a
complaint's extension) follow the shared ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from engine import Conflict, DefinitionInvalid, InvalidInput, files_from_folder
from engine import commands as cmd
from tests.agencies.conftest import HOUSEHOLD, SimulatorControl
from tests.conftest import BPMN
from tests.engine.helpers import case_row, complete, events, open_task, open_tasks, pass_due
from workflows.catalogue import PROCEDURES

from .journeys import JOURNEYS
from .test_move_in_registration import data_of, step_data


@dataclass(frozen=True)
class Procedure:
    key: str
    documents: tuple = ()  # what a complete application presents (empty: no document check)
    agency: str | None = None  # the agency asked, and the clerk's task when it cannot answer
    manual_check: tuple | None = None  # (element, data)
    first_step_lane: str = "Clerk"
    cancel_reason: str = "applicant withdrew"

    @property
    def receive(self) -> dict:  # the main path's application (journeys.py)
        return JOURNEYS[self.key].receive

    @property
    def steps(self) -> tuple:  # (element, data) from the first step after the checks to the rating
        return JOURNEYS[self.key].work

    def application(self, documents=None) -> dict:
        data = dict(self.receive)
        if self.documents:
            data["documents_presented"] = list(self.documents if documents is None else documents)
        return data

    @property
    def first_step(self) -> str:
        return self.steps[0][0]


BIRTH = Procedure(
    "birth_registration",
    documents=("birth_certificate", "national_id_card", "surname_agreement"),
    agency=HOUSEHOLD,
    manual_check=("check_parent_manually", {"parent_record_confirmed": True, "record_checked_by": "paper_register"}),
)
DEATH = Procedure(
    "death_registration",
    documents=("death_certificate", "national_id_card"),
    agency=HOUSEHOLD,
    manual_check=(
        "check_deceased_manually",
        {"deceased_record_confirmed": True, "record_checked_by": "phone_to_registering_office"},
    ),
)
MOVE_IN = Procedure(
    "move_in_registration",
    documents=("national_id_card", "household_register"),  # the land registry: the proof
    agency="land_registry",
    manual_check=(
        "check_ownership_manually",
        {"residence_proof_confirmed": True, "checked_document": "ownership_certificate"},
    ),
)
ID_CARD = Procedure(
    "id_card",
    documents=("photo",),  # the household record replaces the paper register
    agency=HOUSEHOLD,
    manual_check=(
        "check_record_manually",
        {"household_record_confirmed": True, "record_checked_by": "phone_to_registering_office"},
    ),
)
SEAL = Procedure(
    "seal_registration",
    documents=("national_id_card",),
    agency=HOUSEHOLD,
    manual_check=("check_record_manually", {"household_record_confirmed": True, "record_checked_by": "paper_register"}),
)
NAME_CHANGE = Procedure(
    "name_change",
    documents=("national_id_card", "household_register", "reason_document"),
    agency="criminal_records",
    manual_check=("check_record_manually", {"record_found": False, "checked_by": "written_request_to_ministry"}),
)
HOUSE_NUMBER = Procedure("house_number", documents=("building_permit", "floor_plan", "national_id_card"))
COMPLAINT = Procedure(
    "complaint", first_step_lane="Handling officer", cancel_reason="complainant withdrew the complaint"
)
ALL = [BIRTH, DEATH, MOVE_IN, ID_CARD, SEAL, NAME_CHANGE, HOUSE_NUMBER, COMPLAINT]
WITH_DOCUMENTS = [p for p in ALL if p.documents]
WITH_AGENCY = [p for p in ALL if p.agency]


def ids(procedure: Procedure) -> str:
    return procedure.key


def deploy(engine, key: str):
    return engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / key), actor="designer"))


def started(engine, procedure: Procedure, data: dict | None = None, run_jobs: bool = True) -> str:
    deploy(engine, procedure.key)
    case_id = engine.handle(cmd.StartCase(procedure.key, {}, actor="clerk-1")).case_id
    complete(engine, case_id, "receive_application", data or procedure.application(), run_jobs=run_jobs)
    return case_id


def run_steps(engine, case_id: str, steps) -> None:
    for element, data in steps:
        task = open_task(engine, case_id, element)
        assert task.lane, f"{element} is in no lane"
        complete(engine, case_id, element, data, actor="officer-1" if task.lane != "Clerk" else "clerk-1")


# ---------------------------------------------------------------------- every procedure
def test_every_procedure_has_a_catalogue_entry_and_deploys(engine):
    for procedure in ALL:
        assert procedure.key in PROCEDURES
        result = deploy(engine, procedure.key)
        assert result.created and [f for f in result.findings if f.severity != "note"] == [], result.findings


@pytest.mark.parametrize("procedure", ALL, ids=ids)
def test_the_main_path_ends_rated(engine, procedure, clock):
    case_id = started(engine, procedure)
    case = case_row(engine, case_id)
    standard = PROCEDURES[procedure.key]
    assert (
        case.due_at > clock.now() and open_task(engine, case_id, procedure.first_step).lane == procedure.first_step_lane
    )
    run_steps(engine, case_id, procedure.steps)
    engine.handle(cmd.DeliverMessage(case_id, "rating_received", {"score": 5}, actor="applicant"))
    assert case_row(engine, case_id).status == "completed", standard.name_en
    data = data_of(engine, case_id)
    assert data["rating_score"] == 5 and data["low_rating"] is False
    if procedure.documents:
        assert (data["missing_documents"], data["supplement_rounds"], data["notices_issued"]) == ([], 0, 0)
    assert engine.verify_case(case_id).ok


@pytest.mark.parametrize("procedure", ALL, ids=ids)
@pytest.mark.parametrize("bad_id", ["A123456788", "a123456789", "A12345678"])
def test_a_national_id_with_a_wrong_checksum_or_shape_is_refused_by_field(engine, procedure, bad_id):
    deploy(engine, procedure.key)
    case_id = engine.handle(cmd.StartCase(procedure.key, {}, actor="clerk-1")).case_id
    with pytest.raises(InvalidInput) as refused:
        complete(engine, case_id, "receive_application", {**procedure.application(), "national_id": bad_id})
    [error] = refused.value.details["errors"]  # one message for one mistake, the format's
    assert error["field"] == "national_id" and "tw-national-id" in error["message"]
    assert open_task(engine, case_id, "receive_application")  # nothing half-written


@pytest.mark.parametrize("procedure", WITH_DOCUMENTS, ids=ids)
def test_missing_documents_get_one_notice_then_are_supplied(engine, procedure, clock):
    missing_all = started(engine, procedure, procedure.application(documents=[]))
    missing = step_data(engine, missing_all, "issue_notice")["missing_documents"]
    assert missing and set(procedure.documents) <= set(missing)
    complete(engine, missing_all, "issue_notice", {"notice_delivered_by": "in_person"})
    assert case_row(engine, missing_all).sla_paused_at == clock.now()
    due_before = case_row(engine, missing_all).due_at
    clock.advance(days=2)
    engine.handle(cmd.DeliverMessage(missing_all, "documents_supplied", {"documents": missing}, actor="clerk-1"))
    assert open_task(engine, missing_all, procedure.first_step)
    data = data_of(engine, missing_all)
    assert (data["supplement_rounds"], data["notices_issued"], data["missing_documents"]) == (1, 1, [])
    assert case_row(engine, missing_all).due_at > due_before  # §51: the wait does not count
    assert {"sla_paused", "sla_resumed"} <= {e.type for e in events(engine, missing_all)}
    assert engine.verify_case(missing_all).ok


@pytest.mark.parametrize("procedure", WITH_DOCUMENTS, ids=ids)
def test_nothing_supplied_withdraws_the_application(engine, procedure, clock):
    case_id = started(engine, procedure, procedure.application(documents=[]))
    complete(engine, case_id, "issue_notice", {"notice_delivered_by": "mail"})
    waiting = step_data(engine, case_id, "await_documents")
    pass_due(clock, datetime.fromisoformat(waiting["reminder_at"]))
    engine.handle(cmd.FireDueTimers(case_id))
    complete(engine, case_id, "send_reminder", {"reminded_by": "phone"})
    pass_due(clock, datetime.fromisoformat(waiting["supplement_deadline"]))
    engine.handle(cmd.FireDueTimers(case_id))
    assert case_row(engine, case_id).status == "completed" and open_tasks(engine, case_id) == []
    assert data_of(engine, case_id)["documents_withdrawn"] is True
    assert engine.verify_case(case_id).ok


@pytest.mark.parametrize("procedure", WITH_AGENCY, ids=ids)
def test_the_agency_down_sends_the_check_to_the_clerk(engine, procedure, agencies: SimulatorControl, clock):
    agencies.fault(agency=procedure.agency, mode="error", status=503)
    case_id = started(engine, procedure, run_jobs=False)
    for delay in (2, 4):
        assert engine.run_due_jobs() == {"retry": 1}
        clock.advance(seconds=delay)
    assert engine.run_due_jobs() == {"failed": 1}
    manual_element, manual_data = procedure.manual_check
    assert open_task(engine, case_id, manual_element).lane == "Clerk"
    assert data_of(engine, case_id)["agency_failure"]["code"] == "agency_unavailable"
    complete(engine, case_id, manual_element, manual_data)
    assert open_task(engine, case_id, procedure.first_step)  # the clerk's check stood in for the agency
    assert agencies.stats(procedure.agency)["requests"] == 3
    assert engine.verify_case(case_id).ok


@pytest.mark.parametrize("procedure", ALL, ids=ids)
def test_the_standard_time_passing_alerts_the_supervisor(engine, procedure, clock):
    case_id = started(engine, procedure)
    due = case_row(engine, case_id).due_at
    pass_due(clock, due)
    engine.handle(cmd.FireDueTimers(case_id))
    assert open_task(engine, case_id, "review_delay").lane == "Supervisor"
    assert open_task(engine, case_id, procedure.first_step)  # the late step stays open
    assert case_row(engine, case_id).overdue_at == due
    assert "case_overdue" in {e.type for e in events(engine, case_id)}
    assert engine.verify_case(case_id).ok


@pytest.mark.parametrize("procedure", ALL, ids=ids)
def test_cancellation_closes_the_case(engine, procedure):
    case_id = started(engine, procedure)
    engine.handle(cmd.CancelCase(case_id, procedure.cancel_reason, actor="clerk-1"))
    case = case_row(engine, case_id)
    assert (case.status, case.close_reason) == ("cancelled", procedure.cancel_reason)
    assert open_tasks(engine, case_id) == []
    with pytest.raises(Conflict):
        engine.handle(cmd.DeliverMessage(case_id, "rating_received", {"score": 5}, actor="applicant"))


# ---------------------------------------------------------------------- national ID card
@pytest.mark.parametrize(
    "kind, presented, missing",
    [
        ("first_issue", ["photo"], []),
        ("replacement", [], ["photo"]),
        ("renewal", ["photo"], ["old_id_card"]),
    ],
)
def test_the_papers_of_an_id_card_depend_on_the_kind_of_application(engine, kind, presented, missing):
    case_id = started(engine, ID_CARD, {**ID_CARD.application(presented), "application_type": kind})
    if missing:
        assert step_data(engine, case_id, "issue_notice")["missing_documents"] == missing
    else:
        assert open_task(engine, case_id, "issue_card")
    assert data_of(engine, case_id)["case_type"] == f"id_card_{kind}"


def test_no_household_record_makes_the_id_card_applicant_bring_the_register(engine):
    case_id = started(engine, ID_CARD, {**ID_CARD.application(), "applicant_name": "王大明"})  # name does not match
    assert step_data(engine, case_id, "issue_notice")["missing_documents"] == ["household_register"]


# ---------------------------------------------------------------------- seal
def test_no_active_household_record_refuses_the_seal(engine):
    # E124551027 is recorded as deceased: no seal can be registered or certified for him.
    case_id = started(engine, SEAL, {**SEAL.application(), "national_id": "E124551027", "applicant_name": "黃建宏"})
    case = case_row(engine, case_id)
    assert case.status == "completed" and open_tasks(engine, case_id) == []
    assert data_of(engine, case_id)["record_active"] is False


def test_a_seal_registration_needs_the_seal_itself(engine):
    case_id = started(engine, SEAL, {**SEAL.application(["national_id_card"]), "application_type": "registration"})
    assert step_data(engine, case_id, "issue_notice")["missing_documents"] == ["seal"]


# ---------------------------------------------------------------------- name change
def test_a_child_under_14_changes_name_without_a_criminal_record_check(engine, agencies: SimulatorControl):
    child = {
        **NAME_CHANGE.application(),
        "national_id": "A201543212",
        "applicant_name": "王小華",
        "birth_date": "2025-12-01",
    }
    case_id = started(engine, NAME_CHANGE, child)
    assert open_task(engine, case_id, "register_name_change")
    assert data_of(engine, case_id)["record_check_needed"] is False
    assert agencies.stats("criminal_records")["requests"] == 0


def test_an_adult_is_checked_and_only_yes_or_no_comes_back(engine, agencies: SimulatorControl):
    case_id = started(engine, NAME_CHANGE)
    data = data_of(engine, case_id)
    assert data["record_check_needed"] is True and data["criminal_record"]["has_record"] is False
    [query] = agencies.queries()
    assert query["agency"] == "criminal_records"


@pytest.mark.parametrize("allowed, end", [(True, "register_name_change"), (False, None)])
def test_a_criminal_record_goes_to_the_supervisor_who_decides(engine, allowed, end):
    # K123004560 has a record in the simulated criminal records.
    case_id = started(
        engine,
        NAME_CHANGE,
        {
            **NAME_CHANGE.application(),
            "national_id": "K123004560",
            "applicant_name": "蔡明哲",
            "birth_date": "1968-08-08",
        },
    )
    review = open_task(engine, case_id, "review_criminal_record")
    assert review.lane == "Supervisor"
    complete(
        engine,
        case_id,
        "review_criminal_record",
        {"name_change_allowed": allowed, "reasoning": "刑已執行完畢" if allowed else "尚未執行完畢"},
        actor="supervisor-1",
    )
    if end:
        assert open_task(engine, case_id, end)
    else:
        assert case_row(engine, case_id).status == "completed" and open_tasks(engine, case_id) == []
    assert engine.verify_case(case_id).ok


def test_the_clerk_finding_a_record_by_hand_also_goes_to_the_supervisor(engine, agencies: SimulatorControl, clock):
    agencies.fault(agency="criminal_records", mode="error", status=500)
    case_id = started(engine, NAME_CHANGE, run_jobs=False)
    for delay in (2, 4):
        engine.run_due_jobs()
        clock.advance(seconds=delay)
    engine.run_due_jobs()
    complete(
        engine, case_id, "check_record_manually", {"record_found": True, "checked_by": "police_record_certificate"}
    )
    assert open_task(engine, case_id, "review_criminal_record")


# ---------------------------------------------------------------------- house number
def test_the_assigned_house_number_is_composed_into_the_address(engine):
    case_id = started(engine, HOUSE_NUMBER)
    run_steps(engine, case_id, HOUSE_NUMBER.steps[:3])
    assert data_of(engine, case_id)["assigned_address_line"] == "桃園市中壢區中央西路二段12巷5號"
    assert open_task(engine, case_id, "issue_certificate").lane == "Clerk"


def test_the_site_survey_is_the_surveyors(engine):
    case_id = started(engine, HOUSE_NUMBER)
    run_steps(engine, case_id, HOUSE_NUMBER.steps[:1])
    assert open_task(engine, case_id, "site_survey").lane == "Surveyor"


@pytest.mark.parametrize(
    "steps",
    [
        [("review_application", {"application_in_order": False, "finding": "執照與坐落不符"})],
        [
            ("review_application", {"application_in_order": True}),
            ("site_survey", {"building_as_declared": False, "surveyed_on": "2026-03-03"}),
        ],
    ],
    ids=["review", "survey"],
)
def test_a_house_number_application_can_be_rejected(engine, steps):
    case_id = started(engine, HOUSE_NUMBER)
    run_steps(engine, case_id, steps)
    assert case_row(engine, case_id).status == "completed" and open_tasks(engine, case_id) == []


def test_a_late_survey_alerts_the_supervisor_too(engine, clock):
    case_id = started(engine, HOUSE_NUMBER)
    run_steps(engine, case_id, HOUSE_NUMBER.steps[:1])
    pass_due(clock, case_row(engine, case_id).due_at)
    engine.handle(cmd.FireDueTimers(case_id))
    assert open_task(engine, case_id, "review_delay") and open_task(engine, case_id, "site_survey")


def test_a_structured_address_is_required(engine):
    deploy(engine, "house_number")
    case_id = engine.handle(cmd.StartCase("house_number", {}, actor="clerk-1")).case_id
    with pytest.raises(InvalidInput) as refused:
        complete(
            engine,
            case_id,
            "receive_application",
            {**HOUSE_NUMBER.application(), "building_location": "桃園市中壢區中央西路二段"},
        )
    assert [error["field"] for error in refused.value.details["errors"]] == ["building_location"]


# ---------------------------------------------------------------------- complaint
EXTEND = {"outcome": "extension_needed", "extension_reason": "需會同建管單位現場查證"}
NOTIFIED = {"reason_sent": True, "sent_by": "letter", "sent_on": "2026-03-20"}


def test_a_complaint_is_due_in_30_days(engine):
    case_id = started(engine, COMPLAINT)
    case = case_row(engine, case_id)
    local = case.due_at.astimezone(case.received_at.tzinfo)
    assert (local.date() - case.received_at.date()).days >= 30
    assert PROCEDURES["complaint"].standard_unit == "calendar_days"


def test_the_one_extension_moves_the_due_date_and_is_told_to_the_complainant(engine, clock):
    case_id = started(engine, COMPLAINT)
    first_due = case_row(engine, case_id).due_at
    clock.advance(days=18)
    complete(engine, case_id, "answer_complaint", EXTEND, actor="officer-1")
    notice = open_task(engine, case_id, "notify_extension")
    assert notice.lane == "Handling officer" and case_row(engine, case_id).due_at == first_due
    with pytest.raises(InvalidInput):  # the extension needs the written reason sent
        complete(engine, case_id, "notify_extension", {**NOTIFIED, "reason_sent": False}, actor="officer-1")
    complete(engine, case_id, "notify_extension", NOTIFIED, actor="officer-1")

    case = case_row(engine, case_id)
    assert case.due_at - first_due >= timedelta(days=30) and case.sla_extended_amount == 30
    [extended] = [e for e in events(engine, case_id) if e.type == "sla_extended"]
    assert extended.payload["extended"] == 30 and extended.payload["unit"] == "calendar_days"
    answer = open_task(engine, case_id, "answer_complaint")
    assert answer.due_at == case.due_at
    # The old due date passes without a breach: the SLA timer follows the new one.
    pass_due(clock, first_due)
    engine.handle(cmd.FireDueTimers(case_id))
    assert case_row(engine, case_id).overdue_at is None and "review_delay" not in {
        t.element_id for t in open_tasks(engine, case_id)
    }
    # Past the extended date it is a breach.
    pass_due(clock, case.due_at)
    engine.handle(cmd.FireDueTimers(case_id))
    assert case_row(engine, case_id).overdue_at == case.due_at
    assert open_task(engine, case_id, "review_delay").lane == "Supervisor"
    assert engine.verify_case(case_id).ok


def test_a_second_extension_is_not_granted(engine):
    case_id = started(engine, COMPLAINT)
    complete(engine, case_id, "answer_complaint", EXTEND, actor="officer-1")
    complete(engine, case_id, "notify_extension", NOTIFIED, actor="officer-1")
    due = case_row(engine, case_id).due_at
    complete(engine, case_id, "answer_complaint", EXTEND, actor="officer-1")
    assert open_task(engine, case_id, "answer_complaint")  # back to the officer: answer now
    assert [t.element_id for t in open_tasks(engine, case_id)] == ["answer_complaint"]
    assert case_row(engine, case_id).due_at == due
    run_steps(engine, case_id, COMPLAINT.steps)
    engine.handle(cmd.DeliverMessage(case_id, "rating_received", {"score": 4}, actor="applicant"))
    assert case_row(engine, case_id).status == "completed"
    assert [e.type for e in events(engine, case_id)].count("sla_extended") == 1
    assert engine.verify_case(case_id).ok


def test_an_answer_needs_its_text_and_an_extension_its_reason(engine):
    case_id = started(engine, COMPLAINT)
    for data, field_missing in (
        ({"outcome": "answered"}, "answer"),
        ({"outcome": "extension_needed"}, "extension_reason"),
    ):
        with pytest.raises(InvalidInput) as refused:
            complete(engine, case_id, "answer_complaint", data, actor="officer-1")
        assert field_missing in str(refused.value.details["errors"])


@pytest.mark.parametrize("value", ["thirty", "0", "-5", "inf", "nan"])
def test_an_extension_that_is_not_a_positive_number_is_refused_at_deploy(engine, value):
    files = files_from_folder(BPMN / "complaint")
    files["complaint.bpmn"] = files["complaint.bpmn"].replace(
        b'name="slaExtension" value="30"', f'name="slaExtension" value="{value}"'.encode()
    )
    with pytest.raises(DefinitionInvalid) as refused:
        engine.handle(cmd.DeployDefinition(files, actor="designer"))
    [finding] = [f for f in refused.value.details["findings"] if "slaExtension" in f["message"]]
    assert finding["element_id"] == "notify_extension"


def test_an_extension_notified_after_the_due_date_is_still_a_breach(engine, clock):
    case_id = started(engine, COMPLAINT)
    first_due = case_row(engine, case_id).due_at
    complete(engine, case_id, "answer_complaint", EXTEND, actor="officer-1")
    pass_due(clock, first_due)
    engine.handle(cmd.FireDueTimers(case_id))
    assert case_row(engine, case_id).overdue_at == first_due
    assert open_task(engine, case_id, "review_delay").lane == "Supervisor"
    complete(engine, case_id, "notify_extension", NOTIFIED, actor="officer-1")
    case = case_row(engine, case_id)
    assert case.due_at > first_due and case.overdue_at == first_due  # the breach stays on record
    assert engine.verify_case(case_id).ok
