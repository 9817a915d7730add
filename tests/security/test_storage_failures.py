"""A database that cannot be used now: a full disk (SQLite's max_page_count), a read-only
database, an unreachable server. The API answers 503 problem+json with Retry-After and saves
nothing, health turns degraded, the background loops wait longer and longer instead of spinning,
and everything works again once the database does."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, func, select, text

from api import create_app
from config import Settings
from engine import commands as cmd
from engine.background import EmbeddedScheduler
from engine.storage import Case
from tests.api.conftest import FlaskCaller
from tests.conftest import POSTGRES_URL
from tests.engine.helpers import case_row, open_tasks

from . import hostile
from .conftest import after_the_timer, wait_for


def case_count(engine) -> int:
    with engine.read() as session:
        return session.scalar(select(func.count()).select_from(Case))


class Limited:
    """Every new connection of ``engine`` runs ``statement`` first (the pool is emptied so none
    escapes it); ``lift()`` takes it away again."""

    def __init__(self, engine, statement) -> None:
        self.engine, self.statement = engine, statement
        event.listen(engine.db, "connect", self._apply)
        engine.db.dispose()

    def _apply(self, dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(self.statement)
        cursor.close()
        dbapi_connection.commit()  # PostgreSQL's SET belongs to the transaction it ran in

    def lift(self) -> None:
        event.remove(self.engine.db, "connect", self._apply)
        self.engine.db.dispose()


def full_disk(engine) -> Limited:
    """SQLite stops the database growing past the pages it has now: a full disk, for it."""
    with engine.db.connect() as conn:
        pages = conn.execute(text("PRAGMA page_count")).scalar()
    return Limited(engine, f"PRAGMA max_page_count = {pages}")


def read_only_database(engine) -> Limited:
    if engine.db.dialect.name == "sqlite":
        return Limited(engine, "PRAGMA query_only = ON")
    return Limited(engine, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")


def refused(answer) -> None:
    """A 503 problem+json that says to come back later."""
    assert answer.status == 503, answer
    assert answer.content_type == "application/problem+json"
    assert answer.json["type"].endswith("/storage-unavailable")
    assert int(answer.headers["Retry-After"]) >= 1


@pytest.mark.skipif(POSTGRES_URL is not None, reason="max_page_count is SQLite's; PostgreSQL is read-only below")
def test_a_full_disk_answers_503_with_retry_after_and_health_degraded_until_space_returns(call, engine, transcript):
    start = {"procedure": "household_transcript", "channel": "counter"}
    assert call("POST", "/api/cases", user="clerk", json=start).status == 201
    cases = case_count(engine)
    limit = full_disk(engine)
    try:
        refused(call("POST", "/api/cases", user="clerk", json=start))
        assert case_count(engine) == cases  # nothing half-written
        health = call("GET", "/api/health")
        assert health.status == 503 and health.json["status"] == "degraded"
        database = health.json["checks"]["database"]
        assert database["status"] == "down" and "full" in database["last_error"]
    finally:
        limit.lift()
    # Space again: the next request works, and health says so.
    assert call("POST", "/api/cases", user="clerk", json=start).status == 201
    assert case_count(engine) == cases + 1
    health = call("GET", "/api/health")
    assert health.status == 200 and health.json["checks"]["database"] == {"status": "ok"}


def test_a_read_only_database_answers_503_and_reads_still_work(call, engine, transcript):
    start = {"procedure": "household_transcript", "channel": "counter"}
    started = call("POST", "/api/cases", user="clerk", json=start).json
    limit = read_only_database(engine)
    try:
        refused(call("POST", "/api/cases", user="clerk", json=start))
        refused(call("POST", f"/api/cases/{started['case_id']}/cancel", user="clerk", json={"reason": "test"}))
        assert call("GET", f"/api/cases/{started['case_id']}", user="clerk").status == 200
        assert call("GET", "/api/health").status == 503
    finally:
        limit.lift()
    assert call("POST", "/api/cases", user="clerk", json=start).status == 201


def test_an_unreachable_database_answers_503(settings, tokens, tmp_path):
    # A server whose database listens nowhere (port 9 on loopback: nobody).
    unreachable = settings.with_overrides(database_url="postgresql+psycopg://onestop@127.0.0.1:9/onestop")
    app = create_app(unreachable)
    caller = FlaskCaller(app.test_client(), tokens)
    answer = caller("GET", "/api/cases", user="clerk")  # the token cannot even be checked
    refused(answer)
    health = caller("GET", "/api/health")
    assert health.status == 503 and health.json["checks"]["database"]["status"] == "down"


class RecordedSleeps(threading.Event):
    """The scheduler's wake-up event, noting how long each pass decided to sleep."""

    def __init__(self) -> None:
        super().__init__()
        self.sleeps: list[float] = []

    def wait(self, timeout=None):
        self.sleeps.append(timeout)
        return super().wait(timeout)


def test_the_scheduler_backs_off_while_the_database_fails_and_goes_on_after(engine, clock, deploy, start_case):
    key, files = hostile.control_procedure()
    deploy(files)
    case = start_case(key, {})
    after_the_timer(clock)
    limit = read_only_database(engine)
    scheduler = EmbeddedScheduler(engine, poll_seconds=0.05, lease_seconds=None)
    scheduler._wake = sleeps = RecordedSleeps()
    scheduler.start()
    try:
        try:
            # Each failed pass waits longer than the one before, instead of trying again at once.
            wait_for(lambda: len([s for s in sleeps.sleeps if s >= 0.5]) >= 4, "four failed passes")
            failing = [s for s in sleeps.sleeps if s >= 0.5][:4]
            assert failing == sorted(failing) and failing[-1] >= 4 * failing[0], sleeps.sleeps
            assert engine.storage_health.failing and case_row(engine, case.case_id).next_timer_at is not None
        finally:
            limit.lift()
        engine.storage_health.succeeded()  # what the first command that writes again would report
        scheduler._wake.set()
        wait_for(lambda: open_tasks(engine, case.case_id), "the timer fired once the database works again")
    finally:
        scheduler.stop()
    assert engine.verify_case(case.case_id).ok


def test_a_worker_backs_off_a_job_it_cannot_record_instead_of_taking_it_again_at_once(
    engine, deploy, start_case, simulator
):
    from .test_incidents_lifecycle import SERVICE

    deploy({"checked.bpmn": SERVICE.encode()})
    start_case("checked", {"broken": False, "national_id": "A123456789", "applicant_name": "王小明"})
    limit = read_only_database(engine)
    try:
        assert engine.run_due_jobs() == {"error": 1}
        assert engine.run_due_jobs() == {}  # the job waits: not taken again at once
    finally:
        limit.lift()
    assert engine.storage_health.failing
