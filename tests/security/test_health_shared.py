"""Health is the deployment's, not the answering process's: two server processes on one database
(one leads the scheduler, the other stands by) answer /api/health the same, from the shared
record. The agency calls run in the leader's threads only, so only its circuit breaker opens when
an agency fails; the standby, which never called the agency, still reports the circuit open."""

from __future__ import annotations

import time

import requests

from tests.api.conftest import HttpCaller

from .conftest import wait_for

HOUSEHOLD = "household_registration"


def health(served) -> dict:
    return requests.get(served.url("/api/health"), timeout=10).json()


def comparable(answer: dict) -> dict:
    """An answer without the moments that move between two calls (each call refreshes its own
    process's heartbeat; the leader passes every few seconds)."""
    checks = answer["checks"]
    return {
        "scheduler": {key: checks["scheduler"].get(key) for key in ("status", "mode", "holder")},
        "workers": {
            role: sorted(process["process"] for process in processes)
            for role, processes in checks["workers"]["processes"].items()
        },
        "agency_gateway": checks["agency_gateway"],
        "incidents": checks["incidents"],
    }


def test_two_server_processes_report_the_same_deployment(serve, tokens, tmp_path, monkeypatch, simulator):
    monkeypatch.setenv("ONESTOP_AGENCY_BREAKER_FAILURES", "1")  # the first failure opens the circuit
    first = serve(workers=1)
    second = serve(workers=1)
    http = HttpCaller(first.base_url, tokens)
    assert http.deploy().status == 201

    both_alive = lambda answer: len(answer["checks"]["workers"]["processes"].get("server", [])) == 2  # noqa: E731
    wait_for(lambda: both_alive(health(first)) and both_alive(health(second)), "both processes' heartbeats")
    leader = health(second)["checks"]["scheduler"]["holder"]
    assert health(first)["checks"]["agency_gateway"]["agencies"][HOUSEHOLD]["state"] == "closed"

    requests.put(f"{simulator.url}/_admin/faults/{HOUSEHOLD}", json={"mode": "error", "status": 500}, timeout=5)
    answered = http("POST", "/api/cases", user="clerk", json={"procedure": "household_transcript"})
    [task] = answered.json["open_tasks"]
    received = {"national_id": "A123456789", "applicant_name": "王小明", "scope": "full", "copies": 1}
    assert http("POST", f"/api/tasks/{task['id']}/complete", user="clerk", json={"data": received}).status == 200

    def opened(served) -> dict | None:
        answer = health(served)
        agency = answer["checks"]["agency_gateway"]["agencies"][HOUSEHOLD]
        return answer if agency["state"] == "open" else None

    wait_for(lambda: opened(first) and opened(second), "the open circuit, seen from both processes")
    for _ in range(20):  # the same answer from both, once no heartbeat moved between the two calls
        answers = [comparable(health(first)), comparable(health(second))]
        if answers[0] == answers[1]:
            break
        time.sleep(0.2)
    assert answers[0] == answers[1]
    agency = answers[0]["agency_gateway"]["agencies"][HOUSEHOLD]
    assert agency["open_in"] == [leader]  # opened in the leader, which calls the agencies
    assert answers[0]["agency_gateway"]["status"] == "down"
    servers = answers[0]["workers"]["server"]
    assert len(servers) == 2 and leader in servers  # the standby that answered too saw the leader's circuit
