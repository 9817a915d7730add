"""The state a command stores is the library's serialization, written by the engine's own fast
converter: the same text, byte for byte (stored states and their hashes depend on it), and the
same answer to "does JSON give it back exactly"."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timezone
from uuid import UUID

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from engine import commands as cmd
from engine import files_from_folder
from engine.storage import Case, queries
from engine.workflow import serialization
from tests.conftest import BPMN
from workflows.simulation import OfficeSimulation, SimulationSettings

from .helpers import RECEIVE, start


def library_encode(workflow) -> tuple[str, bool]:
    """The state as SpiffWorkflow's own converters write it, and the exactness check on the whole
    of it, as the engine did before it had a converter of its own."""
    serializer = serialization._serializer()
    registry = serializer.registry
    registry._encoder_mode = True
    try:
        dct = serializer.to_dict(workflow)
    finally:
        registry._encoder_mode = False
    dct[serializer.VERSION_KEY] = serializer.VERSION
    lossy = [False]
    default = serialization._encode_leftover(registry, lossy)
    try:
        text = orjson.dumps(dct, default=default, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(dct, default=default, ensure_ascii=False), False
    return text, not lossy[0] and orjson.loads(text) == dct


@pytest.fixture
def compared(monkeypatch):
    """Every state the engine writes, also written by the library: they must agree."""
    encode = serialization.encode
    seen = []

    def checked(workflow):
        registry = serialization._serializer().registry
        registry._encoder_mode = True
        try:
            assert serialization._fast_converter().workflow(workflow) is not None  # never falls back here
        finally:
            registry._encoder_mode = False
        text, exact = encode(workflow)
        assert (text, exact) == library_encode(workflow)
        seen.append(text)
        return text, exact

    monkeypatch.setattr(serialization, "encode", checked)
    return seen


def test_every_state_of_a_simulated_office_week_is_written_as_the_library_writes_it(engine, simulator, compared):
    """All eleven procedures, with clerks, agency answers and outages, timers, supplements,
    complaints and ratings: the states they go through."""
    for folder in sorted(path for path in BPMN.iterdir() if path.is_dir()):
        engine.handle(cmd.DeployDefinition(files_from_folder(folder), actor="designer"))
    engine.clock.set(datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc))
    simulation = OfficeSimulation(
        engine, SimulationSettings(date(2026, 3, 1), seed=3, cases=500, working_days=2), faults=simulator.state.faults
    )
    simulation.run()
    with engine.read() as session:
        procedures = set(session.scalars(select(Case.procedure_key).distinct()))
    assert len(procedures) >= 8 and len(compared) > 150
    assert all(result.ok for result in engine.verify_all())


PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=12,
)
ODD = st.sampled_from(
    [
        (1, 2),
        {1: "one"},
        {True: "yes"},
        {"a", "b"},
        math.nan,
        math.inf,
        2**70,
        datetime(2026, 3, 2, tzinfo=timezone.utc),
        date(2026, 3, 2),
        UUID(int=7),
        len,
        [1, (2, 3)],
        {"nested": {2: [None]}},
    ]
)


def outcome(encode, workflow):
    """What encoding gives: (text, exact), or the kind of error it raises."""
    try:
        return encode(workflow)
    except TypeError as error:
        return type(error).__name__


@pytest.fixture
def stored(engine, transcript):
    """A case waiting at its first task: its state and definition."""
    started = start(engine)
    with engine.read() as session:
        case = queries.get_case(session, started.case_id)
        return case.state, engine.deployments.get(session, case.definition_id)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    root=st.dictionaries(st.text(max_size=6), PLAIN | ODD, max_size=4),
    task=st.dictionaries(st.text(max_size=6), PLAIN | ODD, max_size=4),
    dropped=st.sets(st.sampled_from(["case_number", "channel", "sla_due_at"]) | st.text(max_size=6), max_size=3),
)
def test_any_task_data_is_written_as_the_library_writes_it(stored, root, task, dropped):
    state, definition = stored
    workflow = serialization.loads(state, definition.spec, definition.subprocess_specs)
    workflow.task_tree.data.update(root)
    ready = next(t for t in workflow.tasks.values() if t.task_spec.name == "receive_application")
    ready.data.update(task)
    for key in dropped:  # keys the task's data lost against its parent's
        ready.data.pop(key, None)
    ready.internal_data["note"] = task
    workflow.data.update(root)
    assert outcome(serialization.encode, workflow) == outcome(library_encode, workflow)


def test_a_completed_case_is_written_as_the_library_writes_it(engine, transcript, simulator, compared):
    from .helpers import complete

    started = start(engine)
    complete(engine, started.case_id, "receive_application", RECEIVE)
    complete(engine, started.case_id, "issue_transcript", {"fee_paid": 15})
    assert len(compared) >= 3


@pytest.mark.parametrize(
    "change", [("variables_changed", {"data": {"copies": 9}}), ("sla_paused", {})], ids=["variables", "sla"]
)
def test_a_settled_step_whose_data_the_engine_changes_is_written_anew(engine, transcript, simulator, change):
    """The engine sets variables and due dates in the finished step before each open one (the
    next steps inherit from it): the kept dicts of that step and of its children are not reused."""
    from engine.workflow import runtime

    from .helpers import complete

    started = start(engine)
    complete(engine, started.case_id, "receive_application", RECEIVE)
    with engine.read() as session:
        case = session.get(Case, started.case_id)
        definition = engine.deployments.get(session, case.definition_id)
    workflow = serialization.loads(case.state, definition.spec, definition.subprocess_specs)
    assert serialization.encode(workflow) == library_encode(workflow)  # the settled steps are kept
    runtime.apply_change(workflow, *change)
    assert serialization.encode(workflow) == library_encode(workflow)
