"""Fixtures of the security suite: the app on the test database and staff of every role, each
with a token (the API tests' fixtures: app, client, call, serve...); deploying the hostile
procedures, reading incidents, and running the real embedded scheduler until something has
happened (never asserting how long it took)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import commands as cmd
from engine.background import EmbeddedScheduler
from engine.storage import Incident
from tests.api.conftest import (  # noqa: F401  (fixtures, registered by name)
    _create_users,
    app,
    call,
    client,
    http,
    log_lines,
    serve,
    served,
)

from . import hostile

STAFF = {
    # username: (roles, groups)
    "clerk": (["clerk"], ["Clerk"]),  # works the transcript's lane
    "records_clerk": (["clerk"], ["Records"]),  # a clerk of another group
    "groupless_clerk": (["clerk"], []),
    "supervisor": (["supervisor"], ["Clerk", "Supervisor"]),
    "other_supervisor": (["supervisor"], ["Surveyor"]),  # supervises a group with no work in the case
    "auditor": (["auditor"], []),
    "admin": (["admin"], []),
    "designer": (["designer"], []),
    "operator": (["operator"], []),
}


@pytest.fixture
def tokens(engine):
    return _create_users(engine, STAFF)


@pytest.fixture
def deploy(engine):
    def deploy_procedure(files: dict[str, bytes]):
        return engine.handle(cmd.DeployDefinition(files, actor="designer"))

    return deploy_procedure


@pytest.fixture
def start_case(engine):
    def start(procedure: str, data: dict | None = None):
        return engine.handle(cmd.StartCase(procedure, dict(hostile.CASE_DATA if data is None else data), actor="clerk"))

    return start


def incidents_of(engine, case_id: str | None = None) -> list[Incident]:
    with engine.read() as session:
        query = select(Incident).order_by(Incident.id)
        if case_id is not None:
            query = query.where(Incident.case_id == case_id)
        return list(session.scalars(query))


def wait_for(condition, what: str, seconds: float = 60.0):
    """Poll ``condition`` until it gives something true; fail naming ``what`` after ``seconds``
    (a generous bound against a stuck test, not a claim about speed)."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} did not happen"
        time.sleep(0.02)


class PassCounter(EmbeddedScheduler):
    """The embedded scheduler, counting its passes (the test waits for some to go by)."""

    passes = 0

    def run_once(self):
        done = super().run_once()
        self.passes += 1
        return done


@pytest.fixture
def scheduler(engine):
    """The real embedded scheduler thread on the test's engine (no lock file: it leads)."""
    running = PassCounter(engine, poll_seconds=0.05, lease_seconds=None).start()
    yield running
    running.stop()


def after_the_timer(clock) -> None:
    """Let the procedures' one-hour timers fall due (SpiffWorkflow fires strictly after)."""
    clock.set(clock.now() + timedelta(hours=1, seconds=1))
