"""Process-mining exports: pm4py reads the XES and OCEL 2.0 files and discovers a model from them."""

from __future__ import annotations

import json

import pm4py
import pytest
from lxml import etree

from engine import commands as cmd
from engine.audit import CaseSelection, mined_cases, to_ocel, to_xes

from ..engine.helpers import RECEIVE, VALID_ID, complete, open_task, start

# pm4py suggests an optional faster reader; the standard one is what the test means to use.
pytestmark = pytest.mark.filterwarnings("ignore:Install the optional requirement:UserWarning")

DOUBTFUL = {**RECEIVE, "national_id": "A123456788"}  # fails the checksum: verified by hand


@pytest.fixture
def varied_cases(engine, transcript, clock):
    """Six cases along the transcript procedure's paths: straight through, verified by hand,
    rejected, claimed first, still open, cancelled; each served within the transcript's 15 minutes."""
    ids = []
    for variant in ("straight", "by_hand", "rejected", "claimed", "open", "cancelled"):
        started = start(engine, applicant={"name": "王小明", "national_id": VALID_ID})
        ids.append(started.case_id)
        clock.advance(minutes=3)
        if variant == "cancelled":
            engine.handle(cmd.CancelCase(started.case_id, "withdrawn", actor="clerk-2"))
            continue
        if variant == "claimed":
            engine.handle(cmd.ClaimTask(open_task(engine, started.case_id, "receive_application").id, "clerk-2"))
            clock.advance(minutes=2)
        complete(
            engine,
            started.case_id,
            "receive_application",
            DOUBTFUL if variant in ("by_hand", "rejected") else RECEIVE,
            actor="clerk-2" if variant == "claimed" else "clerk-1",
        )
        clock.advance(minutes=5)
        if variant in ("by_hand", "rejected"):
            complete(
                engine,
                started.case_id,
                "verify_identity_manually",
                {"identity_confirmed": variant == "by_hand", "checked_document": "passport"},
                actor="clerk-3",
            )
            clock.advance(minutes=3)
        if variant in ("straight", "by_hand", "claimed"):
            complete(engine, started.case_id, "issue_transcript", {"fee_paid": 15}, actor="clerk-4")
            engine.handle(cmd.RecordRating(started.case_id, 4, None))
        clock.advance(minutes=30)
    return ids


def test_xes_loads_in_pm4py_and_a_model_is_discovered(engine, varied_cases, tmp_path):
    path = tmp_path / "cases.xes"
    path.write_bytes(to_xes(mined_cases(engine, CaseSelection())))
    log = pm4py.read_xes(str(path))
    assert log["case:concept:name"].nunique() == 6
    assert {"time:timestamp", "org:resource", "lifecycle:transition"} <= set(log.columns)
    completed = log[log["lifecycle:transition"] == "complete"]
    assert {
        "Applicant at the counter",
        "受理申請 Receive application",
        "人工核對身分 Verify identity by hand",
        "核發謄本 Issue transcript",
        "Rating received",
        "Case completed",
        "Case cancelled",
    } <= set(completed["concept:name"])
    assert set(log[log["lifecycle:transition"] == "start"]["org:resource"]) == {"clerk-2"}

    net, initial, final = pm4py.discover_petri_net_inductive(completed)
    assert {t.label for t in net.transitions if t.label} == set(completed["concept:name"])
    fitness = pm4py.fitness_token_based_replay(completed, net, initial, final)
    assert fitness["perc_fit_traces"] == 100.0  # the inductive miner's model fits the log it came from


def test_xes_follows_the_standard_and_carries_no_personal_data(engine, varied_cases):
    document = to_xes(mined_cases(engine, CaseSelection(limit=3)))
    root = etree.fromstring(document)
    namespace = "{http://www.xes-standard.org/}"
    assert root.tag == f"{namespace}log" and root.get("xes.version") == "1849-2016"
    assert {e.get("prefix") for e in root.iter(f"{namespace}extension")} == {"concept", "time", "org", "lifecycle"}
    assert len(root.findall(f"{namespace}trace")) == 3
    assert VALID_ID.encode() not in document and "王小明".encode() not in document


def test_schedule_start_complete_in_the_order_they_happened(engine, varied_cases):
    [claimed] = mined_cases(engine, CaseSelection(case_ids=[varied_cases[3]]))
    receive = [(e.transition, e.resource) for e in claimed.events if e.element_id == "receive_application"]
    assert receive == [("schedule", None), ("start", "clerk-2"), ("complete", "clerk-2")]
    activities = [e.activity for e in claimed.events]
    assert activities.index("Applicant at the counter") < activities.index("受理申請 Receive application")


def test_ocel_loads_in_pm4py(engine, varied_cases, tmp_path):
    path = tmp_path / "cases.jsonocel"
    path.write_text(json.dumps(to_ocel(mined_cases(engine, CaseSelection()))), encoding="utf-8")
    ocel = pm4py.read_ocel2_json(str(path))
    types = ocel.objects.groupby("ocel:type").size().to_dict()
    assert types["case"] == 6 and types["task"] >= 9
    assert set(ocel.relations["ocel:qualifier"]) == {"case", "task"}
    assert "核發謄本 Issue transcript" in set(ocel.events["ocel:activity"])


def test_selection_by_procedure_and_status(engine, varied_cases):
    assert len(mined_cases(engine, CaseSelection(status="cancelled"))) == 1
    assert len(mined_cases(engine, CaseSelection(status="running"))) == 1
    assert mined_cases(engine, CaseSelection(procedure="no_such_procedure")) == []


def test_api_and_cli_exports(call, cli, engine, varied_cases, tmp_path):
    xes = call("GET", "/api/mining/xes", user="supervisor", query={"status": "completed"})
    assert xes.status == 200 and xes.content_type == "application/xml"
    assert len(etree.fromstring(xes.body).findall("{http://www.xes-standard.org/}trace")) == 4
    ocel = call("GET", "/api/mining/ocel", user="auditor", query={"procedure": "household_transcript", "limit": 2})
    assert ocel.status == 200 and sum(o["type"] == "case" for o in ocel.json["objects"]) == 2
    assert call("GET", "/api/mining/xes", user="auditor", query={"limit": 0}).status == 422
    # a time without an offset is office time (09:15 UTC would be 17:15 in Taipei: no case after it)
    later = call("GET", "/api/mining/ocel", user="auditor", query={"received_from": "2026-03-02T09:15:00"})
    assert later.status == 200 and sum(o["type"] == "case" for o in later.json["objects"]) == 5  # not the first
    assert call("GET", "/api/mining/xes", user="clerk").status == 403
    written = json.loads(cli("mining", "xes", "--output", str(tmp_path / "all.xes")).output)
    assert written["cases"] == 6 and (tmp_path / "all.xes").stat().st_size > 0
    assert pm4py.read_xes(str(tmp_path / "all.xes"))["case:concept:name"].nunique() == 6
