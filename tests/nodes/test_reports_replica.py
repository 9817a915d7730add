"""The optional reports node: an app node whose database is a streaming replica (read-only) serves
the reports with the primary's figures, and refuses a write as the API refuses any write the
database cannot take (503, nothing half-written). The replica is stood in for by a connection
every transaction of which is read-only, as on a hot standby."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from api import create_app
from bootstrap import build_engine
from engine import commands as cmd
from tests.api.conftest import tokens  # noqa: F401 - fixture
from tests.engine.helpers import RECEIVE, complete

# report -> its query besides the period (None: no period either; it has its own defaults)
REPORTS = {
    "sla": {},
    "backlog": {},
    "processing-time": {},
    "workload": {},
    "steps": {"procedure": "household_transcript"},
    "review": None,
    "annual": None,
}


def read_only(url: str) -> str:
    return url + ("&" if "?" in url else "?") + "options=" + quote("-c default_transaction_read_only=on")


def test_a_reports_node_on_a_read_only_replica_answers_as_the_primary_and_refuses_writes(
    database_url, settings, engine, transcript, tokens, clock
):
    if not database_url.startswith("postgresql"):
        pytest.skip("a streaming replica is PostgreSQL's: this test runs in the PostgreSQL pass of the suite")
    for _ in range(3):
        started = engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk"))
        complete(engine, started.case_id, "receive_application", RECEIVE)
    replica_settings = settings.with_overrides(database_url=read_only(database_url), scheduler="off")
    replica = build_engine(replica_settings, clock)
    try:
        primary_client = create_app(settings, engine=engine).test_client()
        replica_client = create_app(replica_settings, engine=replica).test_client()
        headers = {"Authorization": f"Bearer {tokens['supervisor']}"}
        period = {"from": clock.now().date().isoformat(), "to": clock.now().date().isoformat()}
        for name, options in REPORTS.items():
            answers = [
                client.get(
                    f"/api/reports/{name}",
                    query_string=period | options if options is not None else {},
                    headers=headers,
                )
                for client in (primary_client, replica_client)
            ]
            assert [answer.status_code for answer in answers] == [200, 200], (name, answers[1].get_json())
            assert answers[1].get_json() == answers[0].get_json(), name
        assert (
            sum(row["open"] for row in replica_client.get("/api/reports/backlog", headers=headers).get_json()["rows"])
            == 3
        )

        clerk = {"Authorization": f"Bearer {tokens['clerk']}"}
        refused = replica_client.post("/api/cases", json={"procedure": "household_transcript"}, headers=clerk)
        assert refused.status_code == 503 and refused.get_json()["type"].endswith("storage-unavailable")
    finally:
        replica.dispose()
