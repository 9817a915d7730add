"""What-if runs: the same inputs and seed give the same result; a staffing change shows its
effect on the bottleneck; bad requests are refused naming the field or the BPMN element."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bootstrap import build_engine
from workflows.improvement.whatif import WhatIf, run_what_if
from workflows.simulation import StaffLine

from ..api.conftest import app, call, client, tokens  # noqa: F401  (fixtures)
from .conftest import BOTTLENECK, PROCEDURE, STAFF, SURVEYOR_LANE

MORE_SURVEYORS = (StaffLine("Clerk", 2), StaffLine(SURVEYOR_LANE, 3, (9, 10)))


def scratch_factory(settings):
    return lambda url, folder, clock: build_engine(replace(settings, database_url=url, document_folder=folder), clock)


def test_the_same_inputs_and_seed_give_the_same_result(engine, settings, bottleneck_month):
    what_if = WhatIf(
        date(2026, 3, 2), date(2026, 3, 3), STAFF, MORE_SURVEYORS, procedure=PROCEDURE, seed=11, tail_days=2
    )
    first = run_what_if(engine, scratch_factory(settings), what_if)
    again = run_what_if(engine, scratch_factory(settings), what_if)
    assert first == again
    assert first["arrivals"] > 10
    survey = {
        side: next(r for r in first[side]["steps"] if r["element_id"] == BOTTLENECK) for side in ("current", "proposed")
    }
    assert survey["proposed"]["completed"] > survey["current"]["completed"]
    assert survey["proposed"]["waiting_hours_median"] < survey["current"]["waiting_hours_median"]
    surveyors = {row["actor"] for row in first["proposed"]["workload"] if row["lanes"] == [SURVEYOR_LANE]}
    assert len(surveyors) > 1


def test_what_if_requests_are_checked_before_anything_runs(call, bottleneck_month):  # noqa: F811
    period = {"from": "2026-03-02", "to": "2026-03-04"}
    nothing = call(
        "POST",
        "/api/improvement/what-ifs",
        user="designer",
        json={**period, "staff": {"current": [{"lane": "Clerk", "clerks": 2}]}},
    )
    assert nothing.status == 422 and "proposal" in nothing.body.decode()
    hours = call(
        "POST",
        "/api/improvement/what-ifs",
        user="designer",
        json={**period, "staff": {"proposed": [{"lane": "Surveyor", "clerks": 1, "hours": [6, 9]}]}},
    )
    assert hours.status == 422 and "staff.proposed.0" in hours.body.decode()
    broken = (
        '<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
        '<bpmn:process id="house_number" isExecutable="true"><bpmn:startEvent id="start"/>'
        '<bpmn:sequenceFlow id="f" sourceRef="start" targetRef="nowhere"/></bpmn:process></bpmn:definitions>'
    )
    refused = call(
        "POST",
        "/api/improvement/what-ifs",
        user="designer",
        json={**period, "proposal": {"procedure": PROCEDURE, "files": {"house_number.bpmn": broken}}},
    )
    assert refused.status == 422, refused.json
    assert any(error.get("element") for error in refused.json["errors"]), refused.json
    unknown = call(
        "POST",
        "/api/improvement/what-ifs",
        user="designer",
        json={**period, "proposal": {"procedure": PROCEDURE, "version": 9}},
    )
    assert unknown.status == 404
    too_long = call(
        "POST", "/api/improvement/what-ifs", user="designer", json={"from": "2026-01-01", "to": "2026-03-31"}
    )
    assert too_long.status == 422 and "to" in too_long.body.decode()
    empty = call("POST", "/api/improvement/what-ifs", user="designer", json={"from": "2026-05-01", "to": "2026-05-05"})
    assert empty.status == 422 and '"from"' in empty.body.decode()
    assert call("POST", "/api/improvement/what-ifs", user="auditor", json=period).status == 403
    assert call("GET", "/api/improvement/what-ifs", user="designer").json == []  # nothing was queued
