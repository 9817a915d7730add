"""SpiffWorkflow's state-change log is built only when its logger listens: the workflow changes
exactly as with the library's own method, and the log is there when asked for."""

from __future__ import annotations

import logging

from SpiffWorkflow.task import Task

from engine.audit import replay
from engine.storage import queries
from engine.workflow import spiff_logging

from .helpers import RECEIVE, complete, start


def test_every_state_is_the_same_with_the_library_s_own_method(engine, transcript, clock, monkeypatch):
    started = start(engine)
    complete(engine, started.case_id, "receive_application", RECEIVE)
    clock.advance(hours=1)
    complete(engine, started.case_id, "issue_transcript", {"fee_paid": 15})
    with engine.read() as session:
        case = queries.get_case(session, started.case_id)
        events = queries.case_events(session, started.case_id)
        definition = engine.deployments.get(session, case.definition_id)

    def states() -> list[str]:
        steps = replay.replay_commands(case.id, events, definition, engine.replay_script_engine)
        return [step.state_after for step in steps]

    assert Task._set_state is spiff_logging._set_state  # what the engine runs with
    ours = states()
    monkeypatch.setattr(Task, "_set_state", spiff_logging._library_set_state)
    assert states() == ours and ours[-1] == case.state


def test_the_log_is_written_when_its_logger_listens(engine, transcript, caplog):
    with caplog.at_level(logging.INFO, logger="spiff.task"):
        start(engine)
    assert any(record.getMessage().startswith("State changed to") for record in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="spiff.task"):
        start(engine)
    assert any(record.getMessage().startswith("State set to") for record in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="spiff.task"):
        start(engine)
    assert not [record for record in caplog.records if record.name == "spiff.task"]
