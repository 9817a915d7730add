"""The in-process cache of deserialized workflows: used when it is exact, never when stale."""

from __future__ import annotations

import pytest

from bootstrap import build_engine
from engine import commands as cmd
from engine.storage import store
from engine.workflow import serialization

from .helpers import RECEIVE, complete, open_task, start


def _hits_and_misses(engine) -> tuple[int, int]:
    cache = engine.handlers.workflows
    return cache.hits, cache.misses


def test_the_next_command_takes_the_workflow_the_last_one_left(engine, transcript):
    started = start(engine)
    hits_before, _ = _hits_and_misses(engine)
    task = open_task(engine, started.case_id, "receive_application")
    engine.handle(cmd.ClaimTask(task.id, "clerk-1"))  # keeps the entry under the new version
    complete(engine, started.case_id, "receive_application", RECEIVE)  # then the agency's answer
    complete(engine, started.case_id, "issue_transcript", {"fee_paid": 15})
    hits, _ = _hits_and_misses(engine)
    assert hits - hits_before == 4  # the claim, the completion, the agency's answer, the next completion
    # Replay loads the stored state at every command: the cached path must agree with it.
    assert engine.verify_case(started.case_id).ok


def test_a_change_made_by_another_process_is_never_served_from_the_cache(engine, transcript, settings, clock):
    started = start(engine)  # this engine now holds the case's workflow
    other_process = build_engine(settings, clock)
    try:
        complete(other_process, started.case_id, "receive_application", RECEIVE)
    finally:
        other_process.dispose()
    _, misses_before = _hits_and_misses(engine)
    # With a stale workflow, issue_transcript would not be ready here.
    complete(engine, started.case_id, "issue_transcript", {"fee_paid": 15})
    _, misses = _hits_and_misses(engine)
    assert misses == misses_before + 1
    assert engine.verify_case(started.case_id).ok


def test_a_failed_command_leaves_nothing_behind_in_the_cache(engine, transcript):
    started = start(engine)
    task = open_task(engine, started.case_id, "receive_application")

    def fail(_case):
        raise RuntimeError("the disk is full")

    engine.handlers.before_events_written = fail
    with pytest.raises(RuntimeError):
        engine.handle(cmd.CompleteTask(task.id, "clerk-1", RECEIVE))
    engine.handlers.before_events_written = None
    _, misses_before = _hits_and_misses(engine)
    # The failed command changed its workflow object before it failed; it must not be reused.
    complete(engine, started.case_id, "receive_application", RECEIVE)
    _, misses = _hits_and_misses(engine)
    assert misses == misses_before + 1
    assert engine.verify_case(started.case_id).ok


@pytest.mark.parametrize(
    "value, exact",
    [
        ([1, "two", {"three": 3.0}, None, True], True),
        ((1, 2), False),  # comes back as a list
        ({1: "one"}, False),  # the key comes back as "1"
        ({"a", "b"}, False),  # comes back as a list
        (float("nan"), False),  # comes back as null
        (2**70, False),  # beyond what orjson writes
    ],
)
def test_only_workflows_that_json_gives_back_exactly_count_as_exact(engine, transcript, value, exact):
    started = start(engine)
    with engine.read() as session:
        case = store.load_case(session.connection(), started.case_id, for_update=False)
    definition = engine.definition(case.definition_id)
    workflow = serialization.loads(case.state, definition.spec, definition.subprocess_specs)
    workflow.task_tree.data["value"] = value
    assert serialization.encode(workflow)[1] is exact
