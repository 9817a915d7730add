"""Crash paths go through the same masking of national ID numbers as everything else: an
incident's message (stored, in the history, in the API), the server's log, a Celery worker's log,
and an exception nobody caught in some thread."""

from __future__ import annotations

import io
import logging
import sys
import threading
from datetime import datetime, timedelta, timezone

import pytest

import bootstrap
from engine import ProcedureFailed
from engine import commands as cmd
from tests.api.conftest import HttpCaller
from tests.engine.helpers import VALID_ID, events
from tests.timers.test_celery import broker, client, redis_url, wait_ready, workers  # noqa: F401  (fixtures)

from . import hostile
from .conftest import incidents_of, wait_for

MASKED = "A12****789"
# A script that fails with the applicant's number in its message.
LEAKY = ("raise ValueError('no register entry for ' + applicant_id)", "applicant_id == 1 / 0")


@pytest.fixture
def leaky_probe(monkeypatch):
    monkeypatch.setitem(hostile.PROBES, "leaky", LEAKY)
    return "leaky"


def test_an_incident_keeps_no_national_id_in_its_message_nor_in_the_history(
    engine, clock, deploy, start_case, leaky_probe
):
    key, files = hostile.procedure(leaky_probe, "script", wait='"PT0S"')
    deploy(files)
    case = start_case(key)
    clock.advance(seconds=1)
    with pytest.raises(ProcedureFailed) as failed:
        engine.handle(cmd.FireDueTimers(case.case_id))
    [incident] = incidents_of(engine, case.case_id)
    assert VALID_ID not in incident.message and MASKED in incident.message
    raised = [event for event in events(engine, case.case_id) if event.type == "incident_raised"]
    assert VALID_ID not in str(raised[0].payload) and MASKED in raised[0].payload["message"]
    assert failed.value.details["incident_id"] == incident.id


def test_the_server_log_of_a_failing_case_holds_no_national_id(serve, tokens, leaky_probe):
    served = serve(workers=1)
    http = HttpCaller(served.base_url, tokens)
    key, files = hostile.procedure(leaky_probe, "script", wait='"PT0S"')
    assert http("POST", "/api/definitions", user="designer", files=list(files.items())).status == 201
    started = http("POST", "/api/cases", user="clerk", json={"procedure": key, "data": hostile.CASE_DATA}).json

    def held() -> list:
        return http("GET", "/api/incidents", user="supervisor", query={"case_id": started["case_id"]}).json["items"]

    [incident] = wait_for(held, "the incident raised by the server's scheduler")
    assert MASKED in incident["message"] and VALID_ID not in incident["message"]
    log = served.log_text()
    assert MASKED in log and VALID_ID not in log


def test_an_uncaught_exception_in_a_thread_is_logged_masked(monkeypatch):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))  # a plain log, as Celery's
    # Where the crash logger's lines end: the onestop logger's handlers (once the app configured
    # them), else the root logger's (Celery's, gunicorn's).
    watched = [logging.getLogger(), logging.getLogger("onestop")]
    for logger in watched:
        logger.addHandler(handler)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    try:
        bootstrap.mask_crash_paths()

        def crash() -> None:
            raise RuntimeError(f"lost the record of {VALID_ID}")

        thread = threading.Thread(target=crash, name="crashing")
        thread.start()
        thread.join()
    finally:
        for logger in watched:
            logger.removeHandler(handler)
    written = stream.getvalue()
    assert "uncaught exception in thread crashing" in written and "Traceback" in written
    assert MASKED in written and VALID_ID not in written


@pytest.mark.slow
def test_a_celery_workers_log_of_a_failing_case_holds_no_national_id(
    engine, transcript, clock, deploy, leaky_probe, workers, client, tmp_path
):
    key, files = hostile.procedure(leaky_probe, "script", wait='"PT0S"')
    deploy(files)
    clock.set(datetime.now(timezone.utc) - timedelta(minutes=1))  # the workers run on the real clock
    case = engine.handle(cmd.StartCase(key, dict(hostile.CASE_DATA), actor="clerk"))
    workers("w1")
    wait_ready(client, ["w1"])
    client.send_task("onestop.fire_case", args=[case.case_id])
    wait_for(lambda: incidents_of(engine, case.case_id), "the incident raised by the worker")
    log = wait_for(lambda: MASKED in (text := (tmp_path / "w1.log").read_text()) and text, "the worker's log line")
    assert VALID_ID not in log
