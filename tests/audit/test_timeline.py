"""The timeline: every event with actor, time, BPMN element and the data it changed (by replay),
through the engine, the API and the CLI; personal numbers masked unless the caller is an auditor."""

from __future__ import annotations

import json

from sqlalchemy import update

from engine import commands as cmd
from engine.audit import data_changes, timeline_of
from engine.storage import CaseEvent
from workflows.identifiers import mask_national_ids

from ..engine.helpers import RECEIVE, VALID_ID, complete, start
from ..tampering import tamper

MASKED_ID = "A12****789"


def rated_case(engine, clock):
    started = start(engine)
    complete(engine, started.case_id, "receive_application", RECEIVE, actor="clerk-7")
    clock.advance(minutes=10)
    complete(engine, started.case_id, "issue_transcript", {"fee_paid": 15}, actor="clerk-8")
    clock.advance(minutes=30)
    engine.handle(cmd.RecordRating(started.case_id, 5, "很快", actor="applicant"))
    return started


def test_each_event_with_actor_time_element_and_data_changes(engine, transcript, clock):
    started = rated_case(engine, clock)
    timeline = timeline_of(engine, started.case_id)
    entries = timeline["entries"]
    assert timeline["divergence"] is None and timeline["number"] == started.number
    assert [(e["seq"], e["type"], e["actor"]) for e in entries] == [
        (1, "case_started", "clerk-1"),
        (2, "task_completed", "clerk-7"),
        (3, "service_result_recorded", "worker"),
        (4, "task_completed", "clerk-8"),
        (5, "service_delivered", "engine"),
        (6, "message_delivered", "applicant"),
        (7, "rating_recorded", "applicant"),
        (8, "case_completed", "engine"),
    ]
    assert [e["occurred_at"].isoformat() for e in entries[:6]] == [
        "2026-03-02T01:00:00+00:00",
        "2026-03-02T01:00:00+00:00",
        "2026-03-02T01:00:00+00:00",
        "2026-03-02T01:10:00+00:00",
        "2026-03-02T01:10:00+00:00",
        "2026-03-02T01:40:00+00:00",
    ]
    # the element each event concerns, with its name from the deployed definition
    assert [(e["element_id"], e["element_name"]) for e in entries[:6]] == [
        ("start", "Applicant at the counter"),
        ("receive_application", "受理申請 Receive application"),
        ("verify_household_record", "戶役政查驗 Check the household register"),
        ("issue_transcript", "核發謄本 Issue transcript"),
        ("issue_transcript", "核發謄本 Issue transcript"),  # the service point: the SLA clock stopped
        ("rating_received", "Rating received"),
    ]
    # what each command changed in the case data
    receipt = {change["path"]: change for change in entries[1]["changes"]}
    assert receipt["national_id"] == {"path": "national_id", "change": "added", "before": None, "after": VALID_ID}
    assert receipt["identity_valid"]["after"] is True  # set by the script task the completion ran
    assert {c["path"] for c in entries[2]["changes"]} == {"household_record", "identity_confirmed_by_agency"}
    assert [c["path"] for c in entries[3]["changes"]] == ["fee_paid"]
    # The rating, and the due date its SLA timers hold since the clock stopped at the service.
    assert {c["path"] for c in entries[5]["changes"]} == {"rating", "rating_score", "low_rating", "sla_due_at"}
    assert entries[6]["changes"] == [] and entries[7]["changes"] == []  # effects: the cause carries the change
    assert [s["element_id"] for s in entries[1]["finished_steps"]] == [
        "receive_application",
        "check_identity",
        "identity_ok",
    ]
    assert [s["element_id"] for s in entries[2]["finished_steps"]] == ["verify_household_record", "record_ok"]


def test_a_changed_value_shows_both_sides_and_nested_paths():
    before = {"copies": 1, "address": {"city": "台北", "zip": "100"}, "gone": True}
    after = {"copies": 2, "address": {"city": "台北", "zip": "104"}, "new": [1]}
    assert data_changes(before, after) == [
        {"path": "address.zip", "change": "changed", "before": "100", "after": "104"},
        {"path": "copies", "change": "changed", "before": 1, "after": 2},
        {"path": "gone", "change": "removed", "before": True, "after": None},
        {"path": "new", "change": "added", "before": None, "after": [1]},
    ]


def test_personal_numbers_are_masked_in_payloads_and_changes(engine, transcript, clock):
    started = rated_case(engine, clock)
    masked = timeline_of(engine, started.case_id, mask=mask_national_ids)
    text = json.dumps(masked, default=str, ensure_ascii=False)
    assert VALID_ID not in text and MASKED_ID in text
    change = next(c for c in masked["entries"][1]["changes"] if c["path"] == "national_id")
    assert change["after"] == MASKED_ID


def test_a_forged_history_is_flagged_where_it_diverges(engine, transcript, clock):
    started = rated_case(engine, clock)
    tamper(
        engine,
        update(CaseEvent)
        .where(CaseEvent.case_id == started.case_id, CaseEvent.seq == 4)
        .values(payload={"task_id": "00000000-0000-0000-0000-000000000000", "data": {"fee_paid": 0}}),
    )
    timeline = timeline_of(engine, started.case_id)
    assert timeline["divergence"]["seq"] == 4
    assert [e["seq"] for e in timeline["entries"]] == [1, 2, 3, 4, 5, 6, 7, 8]  # still listed, in order


def test_api_timeline_masked_unless_asked_in_full(call, engine, transcript, clock):
    started = rated_case(engine, clock)
    path = f"/api/cases/{started.case_id}/timeline"
    as_auditor = call("GET", path, user="auditor", query={"unmask": "true"})
    assert as_auditor.status == 200 and as_auditor.json["masked"] is False
    assert VALID_ID in as_auditor.body.decode()
    as_supervisor = call("GET", path, user="supervisor")
    assert as_supervisor.status == 200 and as_supervisor.json["masked"] is True
    assert VALID_ID not in as_supervisor.body.decode() and MASKED_ID in as_supervisor.body.decode()
    assert [e["element_id"] for e in as_supervisor.json["entries"]][:4] == [
        "start",
        "receive_application",
        "verify_household_record",
        "issue_transcript",
    ]
    assert call("GET", path, user="clerk").status == 403
    assert call("GET", path).status == 401
    missing = call("GET", "/api/cases/no-such-case/timeline", user="auditor")
    assert missing.status == 404 and missing.content_type == "application/problem+json"


def test_cli_timeline_masks_unless_asked(cli, engine, transcript, clock):
    started = rated_case(engine, clock)
    masked = json.loads(cli("cases", "timeline", started.number).output)
    assert masked["entries"][1]["payload"]["data"]["national_id"] == MASKED_ID
    unmasked = json.loads(cli("cases", "timeline", started.number, "--unmasked").output)
    assert unmasked["entries"][1]["payload"]["data"]["national_id"] == VALID_ID
    assert cli("cases", "timeline", "2026-999999", ok=False).exit_code == 1
