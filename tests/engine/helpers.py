"""Small helpers to drive cases through engine commands in tests."""

from __future__ import annotations

import time

from sqlalchemy import select

from engine import commands as cmd
from engine.storage import queries

VALID_ID = "A123456789"
RECEIVE = {"national_id": VALID_ID, "applicant_name": "王小明", "scope": "full", "copies": 1}
# A birth registration's reception without the surname agreement (the household register
# confirms the parent, so the paper register is not needed).
BIRTH_RECEIVE = {
    "national_id": VALID_ID,
    "applicant_name": "王小明",
    "child_name": "王小華",
    "child_birth_date": "2026-01-20",
    "child_sex": "male",
    "birth_place": {"city": "臺北市", "district": "大安區"},
    "surname_from": "father",
    "documents_presented": ["birth_certificate", "national_id_card"],
}


def open_tasks(engine, case_id: str) -> list:
    with engine.read() as session:
        return [t for t in queries.case_tasks(session, case_id) if t.status in ("ready", "claimed")]


def open_task(engine, case_id: str, element_id: str):
    matches = [t for t in open_tasks(engine, case_id) if t.element_id == element_id]
    assert len(matches) == 1, (
        f"expected one open {element_id}, found {[t.element_id for t in open_tasks(engine, case_id)]}"
    )
    return matches[0]


def complete(engine, case_id: str, element_id: str, data: dict, actor: str = "clerk-1", run_jobs: bool = True):
    """Complete the open task, then (``run_jobs``) let the worker perform the agency calls the
    step queued, through the real worker code, as the embedded scheduler does right after."""
    task = open_task(engine, case_id, element_id)
    changed = engine.handle(cmd.CompleteTask(task.id, actor, data))
    if run_jobs:
        run_jobs_of(engine, case_id)
    return changed


def run_jobs_of(engine, case_id: str, seconds: float = 60.0) -> None:
    """Run the due agency calls, and those their answers lead to (a second check after the
    first); when an embedded scheduler's worker took one first, wait for it."""
    from engine.storage import ServiceJob

    deadline = time.monotonic() + seconds
    while True:
        ran = engine.run_due_jobs()
        with engine.read() as session:
            running = session.scalar(
                select(ServiceJob.id).where(ServiceJob.case_id == case_id, ServiceJob.status == "running").limit(1)
            )
        if running is None and not ran:
            return
        assert time.monotonic() < deadline, f"the agency calls of case {case_id} did not finish"
        if running is not None:
            time.sleep(0.02)


def start(engine, data: dict | None = None, **kwargs):
    return engine.handle(cmd.StartCase("household_transcript", data or {}, actor="clerk-1", **kwargs))


def events(engine, case_id: str) -> list:
    with engine.read() as session:
        return queries.case_events(session, case_id)


def case_row(engine, case_id: str):
    with engine.read() as session:
        return queries.get_case(session, case_id)


def pass_due(clock, moment) -> None:
    """Let ``moment`` pass: SpiffWorkflow fires a timer only once its due time is strictly past."""
    clock.set(moment)
    clock.advance(seconds=1)
