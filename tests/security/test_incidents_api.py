"""Incidents and failing steps as their users see them over the API: what a request that fails
answers (and that the server lives on), the supervisor's list with its filters, and the counts
in /metrics and /api/health."""

from __future__ import annotations

import pytest

from engine import ProcedureFailed
from engine import commands as cmd
from tests.api.conftest import HttpCaller

from . import hostile
from .conftest import after_the_timer, incidents_of


def deploy_over_api(call, files: dict[str, bytes]) -> None:
    answer = call("POST", "/api/definitions", user="designer", files=list(files.items()))
    assert answer.status == 201, answer


def test_a_start_whose_script_escapes_answers_422_naming_the_step_and_the_server_lives_on(serve, tokens):
    served = serve(workers=1)
    http = HttpCaller(served.base_url, tokens)
    key, files = hostile.procedure("generator_exit", "script", wait=None)
    deploy_over_api(http, files)
    for _ in range(3):  # the same worker process, again and again
        failed = http("POST", "/api/cases", user="clerk", json={"procedure": key, "data": hostile.CASE_DATA})
        assert failed.status == 422 and failed.content_type == "application/problem+json"
        assert failed.json["context"]["element_id"] == "hostile" and "GeneratorExit" in failed.json["detail"]
    assert http("GET", "/api/cases", user="supervisor").json["total"] == 0  # nothing half-started
    assert http("GET", "/api/incidents", user="supervisor").json["total"] == 0  # the caller was told
    assert http.deploy().status == 201
    assert http("POST", "/api/cases", user="clerk", json={"procedure": "household_transcript"}).status == 201
    assert served.process.poll() is None and "Worker exiting" not in served.log_text()


def test_a_dry_run_that_meets_the_escape_names_the_step(call):
    key, files = hostile.procedure("generator_exit", "script", wait=None)
    deploy_over_api(call, files)
    walked = call("POST", f"/api/definitions/{key}/versions/1/dry-run", user="designer", json={"data": {}})
    assert walked.status == 200
    assert walked.json["stopped"]["element_id"] == "hostile" and "GeneratorExit" in walked.json["stopped"]["reason"]


def test_completing_a_task_whose_next_step_fails_answers_422_and_leaves_the_task_open(call):
    key, files = hostile.procedure("huge_multiplication", "script", wait=None, before="ask")
    deploy_over_api(call, files)
    started = call("POST", "/api/cases", user="clerk", json={"procedure": key, "data": hostile.CASE_DATA}).json
    [task] = started["open_tasks"]
    failed = call("POST", f"/api/tasks/{task['id']}/complete", user="clerk", json={"data": {}})
    assert failed.status == 422 and failed.json["context"]["element_id"] == "hostile"
    assert "1,000,000,000 items" in failed.json["detail"]
    assert call("GET", f"/api/tasks/{task['id']}", user="clerk").json["status"] == "ready"


def test_supervisors_filter_incidents_and_operators_count_them(call, engine, clock, deploy, start_case):
    held = {}
    for probe in ("huge_power", "loop_without_wait"):
        key, files = hostile.procedure(probe, "script")
        deploy(files)
        held[probe] = start_case(key).case_id
    after_the_timer(clock)
    for case_id in held.values():
        with pytest.raises(ProcedureFailed):
            engine.handle(cmd.FireDueTimers(case_id))

    def listed(**query) -> list[str]:
        answer = call("GET", "/api/incidents", user="supervisor", query=query)
        assert answer.status == 200
        return sorted(item["case_id"] for item in answer.json["items"])

    assert listed() == sorted(held.values())
    assert listed(kind="step_limit") == [held["loop_without_wait"]]
    assert listed(procedure="hostile_huge_power_script") == [held["huge_power"]]
    assert listed(element="hostile") == [held["huge_power"]]  # the loop stopped at its gateway
    assert listed(status="resolved") == []
    [item] = call("GET", "/api/incidents", user="admin", query={"kind": "resource_limit"}).json["items"]
    assert item["case_number"] and item["version"] == 1 and item["trigger"] == "timer" and item["attempts"] == 1

    metrics = call("GET", "/metrics").body.decode()
    assert 'onestop_open_incidents{kind="step_limit",procedure="hostile_loop_without_wait_script"} 1.0' in metrics
    assert 'onestop_open_incidents{kind="resource_limit",procedure="hostile_huge_power_script"} 1.0' in metrics
    health = call("GET", "/api/health").json["checks"]["incidents"]
    assert health["status"] == "ok" and health["open"] == 2
    assert health["by_procedure"]["hostile_huge_power_script"] == {"resource_limit": 1}

    incident = incidents_of(engine, held["huge_power"])[0]
    cancelled = call("POST", f"/api/incidents/{incident.id}/cancel", user="supervisor", json={"reason": "test"})
    assert cancelled.status == 200
    assert listed(status="resolved") == [held["huge_power"]] and listed(status="open") == [held["loop_without_wait"]]
    assert call("GET", "/api/health").json["checks"]["incidents"]["open"] == 1
