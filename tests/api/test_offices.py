"""Offices as a dimension, as their staff see it through the API: each office numbers its own
cases and sees only its own; a case received for another office (跨區通辦) is worked there, and
the receiving office still finds it."""

from __future__ import annotations

import pytest

from engine import accounts
from engine import commands as cmd
from engine.storage import offices
from tests.engine.helpers import RECEIVE, case_row, complete, open_task
from tests.timers.conftest import taipei

from .conftest import FlaskCaller
from .test_openapi_fuzz import held_incident

STAFF = {
    # username: (roles, groups, offices)
    "west_clerk": (["clerk"], ["Clerk"], ["TN01"]),
    "west_supervisor": (["supervisor"], ["Supervisor", "Clerk"], ["TN01"]),
    "yongkang_clerk": (["clerk"], ["Clerk"], ["TN02"]),
    "bureau": (["auditor"], [], ["*"]),
    "main_supervisor": (["supervisor"], ["Supervisor"], ["main"]),
}


@pytest.fixture
def city(engine, client):
    """Two Tainan offices and their staff; the caller speaks as any of them."""
    now = engine.clock.now()
    issued = {}
    with engine.write() as session:
        for code, district in (("TN01", "中西區"), ("TN02", "永康區")):
            values = {"code": code, "name": f"臺南市{district}戶政事務所", "region": "臺南市", "district": district}
            values["opening_hours"] = {"fri": ["08:00", "12:00"], "mon": ["08:00", "17:00"]}
            offices.save_office(session.connection(), values, now=now)
        for username, (roles, groups, works_for) in STAFF.items():
            user = accounts.create_user(session, username, roles=roles, groups=groups, offices=works_for, now=now)
            issued[username], _ = accounts.issue_token(session, user, now=now, lifetime=None)
    return FlaskCaller(client, issued)


def start(city, user: str, **body):
    answer = city("POST", "/api/cases", user=user, json={"procedure": "household_transcript", **body})
    assert answer.status == 201, answer.json
    return answer.json


def numbers(city, user: str) -> set[str]:
    return {item["number"] for item in city("GET", "/api/cases", user=user).json["items"]}


def inbox_cases(city, user: str) -> set[str]:
    return {item["case_number"] for item in city("GET", "/api/tasks", user=user).json["items"]}


def test_each_office_numbers_its_own_cases_and_sees_only_them(city, engine, transcript):
    year = engine.clock.now().year
    west = [start(city, "west_clerk")["number"] for _ in range(2)]
    yongkang = start(city, "yongkang_clerk")
    assert west == [f"{year}-TN01-000001", f"{year}-TN01-000002"]
    assert yongkang["number"] == f"{year}-TN02-000001"

    assert numbers(city, "west_clerk") == set(west)
    assert inbox_cases(city, "west_clerk") == set(west)
    assert numbers(city, "yongkang_clerk") == {yongkang["number"]}
    assert inbox_cases(city, "yongkang_clerk") == {yongkang["number"]}
    assert numbers(city, "bureau") == {*west, yongkang["number"]}
    # Another office's case and task are answered as ones that do not exist.
    assert city("GET", f"/api/cases/{yongkang['case_id']}", user="west_clerk").status == 404
    task = open_task(engine, yongkang["case_id"], "receive_application")
    assert city("POST", f"/api/tasks/{task.id}/claim", user="west_clerk").status == 404
    # Staff receive cases at their own offices only.
    refused = city(
        "POST", "/api/cases", user="west_clerk", json={"procedure": "household_transcript", "office": "TN02"}
    )
    assert refused.status == 403


def test_a_case_received_for_another_office_is_worked_there(city, engine, transcript):
    received = start(city, "west_clerk", competent_office="TN02")
    case_id = received["case_id"]
    assert received["number"].split("-")[1] == "TN01"  # the receiving office's number
    # The receipt names the office that works the case: where to bring documents, whom to call.
    assert received["receipt"]["office"]["name"]["zh"] == "臺南市永康區戶政事務所"
    assert received["receipt"]["office"]["hours"]["en"] == "Mon 08:00–17:00, Fri 08:00–12:00"

    case = city("GET", f"/api/cases/{case_id}", user="west_clerk").json  # the receiving office still finds it
    assert (case["office"], case["received_office"], case["officer"]) == ("TN02", "TN01", None)
    assert inbox_cases(city, "west_clerk") == set()
    assert inbox_cases(city, "yongkang_clerk") == {received["number"]}
    task = open_task(engine, case_id, "receive_application")
    completed = city("POST", f"/api/tasks/{task.id}/complete", user="yongkang_clerk", json={"data": RECEIVE})
    assert completed.status == 200, completed.json
    case = city("GET", f"/api/cases/{case_id}", user="yongkang_clerk").json
    assert case["officer"]["username"] == "yongkang_clerk"
    events = [e["type"] for e in city("GET", f"/api/cases/{case_id}/events", user="bureau").json]
    assert events[:2] == ["case_started", "case_transferred"]
    assert engine.verify_case(case_id).ok


def test_a_supervisor_transfers_a_case_and_only_procedures_received_anywhere_go_at_once(
    city, engine, transcript, monkeypatch
):
    case_id = start(city, "west_clerk")["case_id"]
    moved = city(
        "POST", f"/api/cases/{case_id}/transfer", user="west_supervisor", json={"office": "TN02", "reason": "戶籍地"}
    )
    assert moved.status == 200, moved.json
    task = open_task(engine, case_id, "receive_application")
    assert city("POST", f"/api/tasks/{task.id}/claim", user="west_clerk").status == 404
    assert city("POST", f"/api/tasks/{task.id}/claim", user="yongkang_clerk").status == 200
    again = city(
        "POST", f"/api/cases/{case_id}/transfer", user="west_supervisor", json={"office": "TN02", "reason": "x"}
    )
    assert again.status == 409

    monkeypatch.setattr(engine.catalogue, "anywhere", frozenset())
    refused = city(
        "POST", "/api/cases", user="west_clerk", json={"procedure": "household_transcript", "competent_office": "TN02"}
    )
    assert refused.status == 422
    assert refused.json["errors"][0]["field"] == "competent_office"
    assert "TN02" in refused.json["detail"]


def test_a_closure_of_one_city_moves_the_due_dates_of_its_offices_only(city, engine, transcript, clock):
    clock.set(taipei(2026, 3, 2, 9))
    # The transcript is due 15 office minutes after receipt: closing its day moves it to the next.
    tainan = start(city, "west_clerk")["case_id"]
    elsewhere = engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk")).case_id  # the default office
    clock.set(taipei(2026, 3, 2, 9, 10))
    closure = {"day": "2026-03-02", "working": False, "reason": "颱風停班", "region": "高雄市"}
    assert city("POST", "/api/calendar/overrides", user="west_supervisor", json=closure).status == 403
    answer = city("POST", "/api/calendar/overrides", user="west_supervisor", json={**closure, "region": "臺南市"})
    assert answer.status == 201, answer.json
    assert answer.json["cases_rescheduled"] == 1
    assert case_row(engine, tainan).due_at == taipei(2026, 3, 3, 8, 15)
    assert case_row(engine, elsewhere).due_at == taipei(2026, 3, 2, 9, 15)
    days = {"from": "2026-03-02", "to": "2026-03-02"}
    assert (
        city("GET", "/api/calendar/days", user="bureau", query={**days, "office": "TN02"}).json[0]["working"] is False
    )
    assert city("GET", "/api/calendar/days", user="bureau", query={**days, "office": "main"}).json[0]["working"] is True
    assert engine.verify_case(tainan).ok


def serve(engine, clock, case_id: str, minutes: float, actor: str) -> None:
    complete(engine, case_id, "receive_application", RECEIVE, actor=actor)
    clock.advance(minutes=minutes)
    complete(engine, case_id, "issue_transcript", {"fee_paid": 15}, actor=actor)


def test_the_bureau_ranks_its_offices_and_goes_down_to_an_office_and_its_cases(city, engine, transcript, clock):
    clock.set(taipei(2026, 3, 2, 9))
    for minutes in (5, 10):  # TN01 serves both within the 15 minutes
        serve(engine, clock, start(city, "west_clerk")["case_id"], minutes, "west_clerk")
    late = start(city, "yongkang_clerk")["case_id"]
    serve(engine, clock, late, 40, "yongkang_clerk")  # TN02: 40 minutes, late
    waiting = start(city, "yongkang_clerk")

    compared = city("GET", "/api/reports/offices", user="bureau", query={"month": "2026-03"}).json
    rows = {row["code"]: row for row in compared["offices"]}
    assert [row["code"] for row in compared["offices"] if row["rank"]] == ["TN01", "TN02"]
    assert (rows["TN01"]["judged"], rows["TN01"]["compliance"], rows["TN01"]["compliance_status"]) == (2, 1.0, "green")
    assert (rows["TN02"]["judged"], rows["TN02"]["late"], rows["TN02"]["compliance_status"]) == (1, 1, "red")
    assert (rows["TN02"]["received"], rows["TN02"]["open"]) == (2, 1)
    assert (compared["city"]["judged"], compared["city"]["on_time"]) == (3, 2)
    # The office's own report agrees; its cases are one search away.
    sla = city("GET", "/api/reports/sla", user="bureau", query={"from": "2026-03-01", "office": "TN02"}).json
    assert [(row["judged"], row["late"]) for row in sla["rows"]] == [(1, 1)]
    found = city("GET", "/api/cases", user="bureau", query={"office": "TN02"}).json["items"]
    assert {item["id"] for item in found} == {late, waiting["case_id"]}
    # An office's supervisor compares their own office only, and reads no other's figures.
    own = city("GET", "/api/reports/offices", user="west_supervisor", query={"month": "2026-03"}).json
    assert [row["code"] for row in own["offices"]] == ["TN01"]
    other = city("GET", "/api/reports/sla", user="west_supervisor", query={"from": "2026-03-01", "office": "TN02"})
    assert other.status == 404
    sla_own = city("GET", "/api/reports/sla", user="west_supervisor", query={"from": "2026-03-01"}).json
    assert sum(row["judged"] for row in sla_own["rows"]) == 2


def test_an_offices_supervisor_handles_the_incidents_of_its_own_cases_only(city, engine):
    incident_id = held_incident(engine)  # a case of the default office
    assert city("GET", "/api/incidents", user="main_supervisor").json["total"] == 1
    assert city("GET", "/api/incidents", user="west_supervisor").json["total"] == 0
    assert city("GET", f"/api/incidents/{incident_id}", user="west_supervisor").status == 404
    cancel = city("POST", f"/api/incidents/{incident_id}/cancel", user="west_supervisor", json={"reason": "not ours"})
    assert cancel.status == 404
    assert city("GET", f"/api/incidents/{incident_id}", user="main_supervisor").json["status"] == "open"
