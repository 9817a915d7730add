"""The improvement loop end to end on a simulated month with a bottleneck: the findings rank the
site survey first; a what-if of a proposal that has the clerks do the survey, on the same
arrivals, shows the improvement without touching the real event log; deploying it and simulating
the next days shows the before/after comparison going the same way."""

from __future__ import annotations

import hashlib
import time
from datetime import date

import pytest
from sqlalchemy import select

from engine.storage import Case, CaseEvent
from workflows.review import annual_review

from ..api.conftest import app, call, client, tokens  # noqa: F401  (fixtures)
from ..conftest import BPMN
from .conftest import BOTTLENECK, DAYS, PROCEDURE, STAFF, simulate

pytestmark = pytest.mark.slow  # a simulated fortnight and a what-if of two scratch runs
MARCH = {"from": "2026-03-01", "to": "2026-03-09"}
STAFF_JSON = [line.as_dict() for line in STAFF]
SURVEY_IN_SURVEYOR_LANE = "<bpmn:flowNodeRef>site_survey</bpmn:flowNodeRef>\n"
AFTER_REVIEW = "<bpmn:flowNodeRef>review_application</bpmn:flowNodeRef>\n"


def survey_by_clerks() -> str:
    """The proposal: the site survey moves to the clerks' lane (they have time; the one surveyor has not)."""
    text = (BPMN / PROCEDURE / "house_number.bpmn").read_text(encoding="utf-8")
    assert SURVEY_IN_SURVEYOR_LANE in text
    text = text.replace("        " + SURVEY_IN_SURVEYOR_LANE, "", 1)
    return text.replace(AFTER_REVIEW, AFTER_REVIEW + "        " + SURVEY_IN_SURVEYOR_LANE, 1)


def event_log_digest(engine) -> str:
    """Every stored byte of the real cases' history and state."""
    with engine.read() as session:
        events = session.execute(select(CaseEvent).order_by(CaseEvent.case_id, CaseEvent.seq)).scalars().all()
        cases = session.execute(select(Case).order_by(Case.id)).scalars().all()
        rows = [[getattr(row, column.key) for column in type(row).__table__.columns] for row in [*events, *cases]]
    return hashlib.sha256(repr(rows).encode("utf-8")).hexdigest()


def finished(call, run_id: int, user: str = "designer") -> dict:  # noqa: F811
    """The run once it is done (it runs in the app's background thread)."""
    for _ in range(600):
        run = call("GET", f"/api/improvement/what-ifs/{run_id}", user=user).json
        if run["status"] not in ("queued", "running"):
            return run
        time.sleep(0.5)
    raise AssertionError(f"what-if run {run_id} did not finish: {run}")


def step(side: dict, element_id: str) -> dict:
    return next(row for row in side["steps"] if row["element_id"] == element_id)


def test_findings_what_if_deploy_and_measure(engine, bottleneck_month, call):  # noqa: F811
    first = call("GET", "/api/improvement/findings", user="designer", query=MARCH).json["candidates"][0]
    assert (first["kind"], first["element_id"]) == ("step_wait", BOTTLENECK)

    before = event_log_digest(engine)
    body = {
        **MARCH,
        "procedure": PROCEDURE,
        "proposal": {"procedure": PROCEDURE, "files": {"house_number.bpmn": survey_by_clerks()}},
        "staff": {"current": STAFF_JSON},
        "tail_days": 4,
    }
    asked = call("POST", "/api/improvement/what-ifs", user="designer", json=body)
    assert asked.status == 202, asked.json
    assert asked.headers["Location"].endswith(f"/api/improvement/what-ifs/{asked.json['id']}")
    run = finished(call, asked.json["id"])
    assert run["status"] == "done", run["error"]
    result = run["result"]
    assert event_log_digest(engine) == before  # the real cases: not one byte changed

    with engine.read() as session:
        real = session.scalars(select(Case.number).where(Case.procedure_key == PROCEDURE)).all()
    assert result["arrivals"] == len(real)
    assert result["current"]["cases"] == result["proposed"]["cases"] or sum(result["current"]["cases"].values()) == len(
        real
    )
    current, proposed = result["current"], result["proposed"]
    # The same arrivals, the same data: the steps the real cases had were replayed, not invented
    # (only steps they never reached, stuck before the survey, are filled from their forms).
    assert "receive_application" not in current["filled_from_form"]
    assert "review_application" not in current["filled_from_form"]
    survey_now, survey_then = step(current, BOTTLENECK), step(proposed, BOTTLENECK)
    assert survey_then["waiting_hours_median"] < survey_now["waiting_hours_median"]
    assert survey_now["lane"] == "Surveyor" and survey_then["lane"] == "Clerk"
    assert proposed["figures"]["sla_late"] < current["figures"]["sla_late"]
    assert proposed["figures"]["sla_compliance"] > current["figures"]["sla_compliance"]
    assert result["change"]["sla_compliance"] > 0
    assert {row["actor"] for row in proposed["workload"] if "Surveyor" in row["lanes"]} == set()
    # Which cases ended differently: served, or on time, with the proposal where they were not.
    differences = result["cases_ended_differently"]
    assert result["ended_differently"] == len(differences) > 0

    def better(case):
        now, then = case["current"], case["proposed"]
        return (then["served"] and not now["served"]) or (then["on_time"] is True and now["on_time"] is False)

    assert sum(1 for case in differences if better(case)) > len(differences) * 0.8, differences[:5]
    assert set(c["number"] for c in result["cases_ended_differently"]) <= set(real)

    # Deployed, and the next days simulated with the same staff.
    deployed = call(
        "POST",
        "/api/definitions",
        user="designer",
        files=[
            ("house_number.bpmn", survey_by_clerks().encode()),
            *[
                (path.name, path.read_bytes())
                for path in (BPMN / PROCEDURE).iterdir()
                if path.name != "house_number.bpmn"
            ],
        ],
    )
    assert deployed.status == 201, deployed.json
    simulate(engine, date(2026, 3, 1), start_day=date(2026, 3, 10))
    effect = call("GET", f"/api/improvement/effects/{PROCEDURE}/2", user="supervisor").json
    assert effect["before"]["cases"] > 0 and effect["after"]["cases"] > 0
    assert effect["after"]["sla_compliance"] > effect["before"]["sla_compliance"]
    assert effect["after"]["sla_late"] < effect["before"]["sla_late"]
    assert effect["before"]["to"] == effect["after"]["from"]  # two periods of the same length around the deploy
    assert effect["days"] >= DAYS
    assert effect["changes"]["sla_compliance"]["better"] is True
    # The annual report lists the improvement with its measured effect.
    [listed] = [item for item in annual_review(engine, 2026)["improvements"] if item["procedure"] == PROCEDURE]
    assert listed["version"] == 2 and listed["measured"]["before"] == {
        key: effect["before"][key] for key in listed["measured"]["before"]
    }
    assert listed["measured"]["after"]["sla_compliance"] > listed["measured"]["before"]["sla_compliance"]
