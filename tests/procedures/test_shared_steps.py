"""The shared call activities every procedure makes: the receipt (收件收據), the channel intake
(counter, online, home visit 到府服務) and the rating (1-2: the supervisor follows up), run for
each procedure in journeys.JOURNEYS with the injectable clock."""

from __future__ import annotations

from datetime import datetime

import pytest
from lxml import etree

from engine import Conflict, InvalidInput, files_from_folder
from engine import commands as cmd
from scripts.sync_shared_bpmn import SHARED, SHARED_PROCESSES, callers, stale_copies
from tests.conftest import BPMN
from tests.engine.helpers import case_row, complete, open_task, open_tasks
from workflows.catalogue import PROCEDURES

from .journeys import ADDRESS, JOURNEYS
from .test_move_in_registration import data_of

ONLINE_REVIEW = {"online_review": {"signed_with": "citizen_digital_certificate", "reviewed_on": "2026-01-05"}}
HOME_VISIT = {
    "home_visit": {
        "visit_date": "2026-01-07",
        "period": "morning",
        "reason": "elderly",
        "address": ADDRESS,
        "contact_phone": "0912345678",
    }
}


@pytest.fixture(params=sorted(JOURNEYS))
def journey(request, engine):
    journey = JOURNEYS[request.param]
    deployed = engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / journey.procedure), actor="designer"))
    assert deployed.created and deployed.findings == [] and not deployed.definition.draft
    return journey


def started(engine, journey, channel: str = "counter"):
    return engine.handle(cmd.StartCase(journey.procedure, {}, channel=channel, actor="clerk-1"))


def rated(engine, journey, score: int) -> str:
    case_id = started(engine, journey).case_id
    journey.to_rating(engine, case_id)
    assert open_tasks(engine, case_id) == [] and case_row(engine, case_id).status == "running"
    engine.handle(cmd.RecordRating(case_id, score, "謝謝" if score > 2 else "等太久"))
    return case_id


def test_every_procedure_calls_every_shared_step_from_a_current_copy():
    assert stale_copies() == []
    for process_id in ("receipt", "intake", "rating"):
        assert [folder.name for folder in callers(process_id)] == sorted(JOURNEYS), process_id


def test_shared_element_ids_do_not_clash_with_a_callers():
    """Element ids are looked up across a bundle (timeline, mining): a shared sub-process must
    not reuse an id of a procedure that calls it."""

    def ids(path):
        process = etree.parse(str(path)).find("{http://www.omg.org/spec/BPMN/20100524/MODEL}process")
        return {element.get("id") for element in process.iter() if element.get("id")} - {
            element.get("id") for element in process.iter("{*}sequenceFlow", "{*}lane", "{*}laneSet")
        }

    shared = {name: ids(SHARED / files[0]) for name, files in SHARED_PROCESSES.items()}
    for procedure in JOURNEYS:
        own = ids(BPMN / procedure / f"{procedure}.bpmn")
        for name, shared_ids in shared.items():
            assert not own & shared_ids, (procedure, name, own & shared_ids)


def test_the_receipt_is_recorded_on_the_case(engine, journey, clock):
    case = started(engine, journey)
    receipt = data_of(engine, case.case_id)["receipt"]
    procedure = PROCEDURES[journey.procedure]
    row = case_row(engine, case.case_id)
    assert receipt["case_number"] == case.number and receipt["procedure"] == journey.procedure
    assert receipt["standard_time"] == {"amount": procedure.standard_amount, "unit": procedure.standard_unit}
    assert datetime.fromisoformat(receipt["due_at"]) == row.due_at
    assert datetime.fromisoformat(receipt["received_at"]) == clock.now() == row.received_at
    assert receipt["channel"] == "counter" and receipt["procedure_name"].startswith(procedure.name_zh)
    assert case.access_code not in str(data_of(engine, case.case_id))  # the applicant's credential stays off the case


def test_at_the_counter_the_application_is_received_at_once(engine, journey):
    case = started(engine, journey)
    assert [task.element_id for task in case.open_tasks] == ["receive_application"]
    assert data_of(engine, case.case_id)["intake_channel"] == "counter"


def test_an_online_application_is_reviewed_by_a_clerk_first(engine, journey):
    case = started(engine, journey, "online")
    review = open_task(engine, case.case_id, "review_online_application")
    assert review.lane == "Clerk" and review.form_key == "review_online_application.schema.json"
    with pytest.raises(InvalidInput):  # the review must say how the application was signed
        engine.handle(cmd.CompleteTask(review.id, "clerk-1", {"online_review": {"reviewed_on": "2026-01-05"}}))
    complete(engine, case.case_id, "review_online_application", ONLINE_REVIEW)
    assert open_task(engine, case.case_id, "receive_application")
    data = data_of(engine, case.case_id)
    assert data["intake_channel"] == "online" and data["online_review"]["signed_with"] == "citizen_digital_certificate"
    assert case_row(engine, case.case_id).channel == "online"


def test_a_home_visit_is_scheduled_then_the_application_received_on_the_visit(engine, journey):
    case = started(engine, journey, "home_visit")
    schedule = open_task(engine, case.case_id, "schedule_home_visit")
    assert schedule.lane == "Clerk"
    bad_address = {"home_visit": {**HOME_VISIT["home_visit"], "address": {**ADDRESS, "number": "一百"}}}
    with pytest.raises(InvalidInput):  # addresses are structured fields, the house number is checked
        engine.handle(cmd.CompleteTask(schedule.id, "clerk-1", bad_address))
    complete(engine, case.case_id, "schedule_home_visit", HOME_VISIT)
    journey.to_rating(engine, case.case_id)
    engine.handle(cmd.RecordRating(case.case_id, 5, None))
    data = data_of(engine, case.case_id)
    assert case_row(engine, case.case_id).status == "completed"
    assert data["intake_channel"] == "home_visit" and data["home_visit"]["reason"] == "elderly"
    assert engine.verify_case(case.case_id).ok


def test_a_good_rating_completes_the_case(engine, journey):
    case_id = rated(engine, journey, 4)
    assert case_row(engine, case_id).status == "completed"
    data = data_of(engine, case_id)
    assert (data["rating_score"], data["low_rating"]) == (4, False)
    assert engine.verify_case(case_id).ok


@pytest.mark.parametrize("score", [1, 2])
def test_a_low_rating_opens_a_follow_up_for_the_supervisor(engine, journey, score):
    case_id = rated(engine, journey, score)
    follow_up = open_task(engine, case_id, "follow_up_rating")
    assert follow_up.lane == "Supervisor" and follow_up.form_key == "follow_up_rating.schema.json"
    assert case_row(engine, case_id).status == "running"
    complete(
        engine, case_id, "follow_up_rating", {"contacted_applicant": True, "finding": "等候過久"}, actor="supervisor-1"
    )
    assert case_row(engine, case_id).status == "completed"
    assert data_of(engine, case_id)["low_rating"] is True


def test_without_a_rating_for_7_days_the_case_closes(engine, journey, clock):
    case_id = started(engine, journey).case_id
    journey.to_rating(engine, case_id)
    clock.advance(days=7)
    assert engine.handle(cmd.FireDueTimers(case_id)) is None  # the window is not over yet
    clock.advance(seconds=1)
    engine.handle(cmd.FireDueTimers(case_id))
    assert case_row(engine, case_id).status == "completed" and "rating_score" not in data_of(engine, case_id)
    with pytest.raises(Conflict):  # too late: the case is closed
        engine.handle(cmd.DeliverMessage(case_id, "rating_received", {"score": 5}, actor="applicant"))
