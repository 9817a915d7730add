"""Replay: rebuild a case from its events alone, and verify a case against its history.

Replay walks the events command by command (events written by one command share a
``command_id``; the first is the cause, the rest its effects). Each command is applied exactly
as the live handler applied it: load the previous state, set the clock to the recorded time,
continue the deterministic task-id sequence, answer service calls from the recorded results,
apply the cause, serialize. The hash of that state must equal the ``state_hash`` the command
recorded; the first command where it does not is where the history and the state diverge.

A case that moved to another version of its procedure has a ``case_migrated`` event: replay
moves the state there exactly as the live command did and goes on with the new version's
specs. It starts on the version named by ``case_started``; ``definitions`` (definition id ->
parsed definition) gives the versions, and without it only the given ``definition`` is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, Callable, Iterator

from SpiffWorkflow.exceptions import WorkflowException

from engine.cases import moving
from engine.clock import ManualClock, TaskIdSequence, execution_context
from engine.definitions.deployments import ParsedDefinition
from engine.errors import EngineError
from engine.events import CASE_ANONYMISED, CASE_MIGRATED, CASE_STARTED, SERVICE_RESULT_RECORDED
from engine.storage.eventlog import first_broken_link
from engine.storage.models import Case, CaseEvent
from engine.workflow import runtime, serialization
from engine.workflow.gateways import RecordedServiceGateway

Definitions = Callable[[int], ParsedDefinition]


@dataclass
class ReplayResult:
    state: str | None  # serialized workflow after the last replayed event
    last_seq: int
    divergent_seq: int | None = None
    reason: str | None = None
    definition: ParsedDefinition | None = None  # the version ``state`` belongs to


@dataclass
class Verification:
    case_id: str
    number: str
    ok: bool
    events: int
    first_divergent_seq: int | None = None
    problems: list[str] = field(default_factory=list)
    replayed: bool = True  # False for an anonymised case: its chain is checked, not its replay

    def as_dict(self) -> dict[str, Any]:
        return {
            "replayed": self.replayed,
            "case_id": self.case_id,
            "number": self.number,
            "ok": self.ok,
            "events": self.events,
            "first_divergent_seq": self.first_divergent_seq,
            "problems": self.problems,
        }


def _commands(events: list[CaseEvent]):
    for _command_id, group in groupby(events, key=lambda event: event.command_id):
        yield list(group)


@dataclass
class CommandStep:
    """One command of a case's history as replay applied it: its events (the cause first), the
    serialized state before and after it, and the error that stopped replay there, if any."""

    events: list[CaseEvent]
    state_before: str | None
    state_after: str | None
    error: str | None = None
    definition: ParsedDefinition | None = None  # the version ``state_after`` belongs to

    @property
    def cause(self) -> CaseEvent:
        return self.events[0]

    @property
    def diverges(self) -> bool:
        return self.error is not None or runtime.state_hash(self.state_after or "") != self.cause.state_hash


def replay_commands(
    case_id: str,
    events: list[CaseEvent],
    definition: ParsedDefinition,
    script_engine_factory: Callable[[Any], Any],
    *,
    definitions: Definitions | None = None,
) -> Iterator[CommandStep]:
    """Apply the case's commands one by one, yielding each step; stops after a failed one."""
    task_ids = TaskIdSequence(case_id)
    state: str | None = None
    carried = _Carried()
    for group in _commands(events):
        before = definition
        try:
            definition = _definition_for(group[0], definition, definitions)
            after = _apply_command(state, group, before, definition, script_engine_factory, task_ids, carried)
        except (EngineError, WorkflowException, KeyError) as error:
            # A recorded event the workflow cannot take (e.g. it names a task the case never had)
            # is a history that does not match: reported, never raised.
            cause = group[0]
            message = error.message if isinstance(error, EngineError) else str(error)
            yield CommandStep(
                group, state, state, f"replaying event {cause.seq} ({cause.type}) failed: {message}", before
            )
            return
        yield CommandStep(group, state, after, definition=definition)
        state = after


@dataclass
class _Carried:
    """The workflow the last replayed command left, kept for the next one when its state reads
    back from JSON exactly: loading that state would rebuild the same workflow, as the live
    engine's workflow cache relies on (engine/cases/workflow_cache.py). Otherwise the next
    command loads the state, as a live command without a cached workflow does."""

    workflow: Any = None
    state: str | None = None

    def keep(self, workflow, state: str, exact: bool) -> None:
        self.workflow, self.state = (workflow, state) if exact else (None, None)

    def take(self, state: str):
        workflow = self.workflow if self.state is state else None
        self.workflow = self.state = None
        return workflow


def _definition_for(cause: CaseEvent, current: ParsedDefinition, definitions: Definitions | None) -> ParsedDefinition:
    """The version the case runs on after ``cause``: the one it started on, or moved to."""
    if cause.type == CASE_STARTED:
        wanted = cause.payload.get("definition_id", current.id)
    elif cause.type == CASE_MIGRATED:
        wanted = cause.payload["to_definition_id"]
    else:
        return current
    if wanted == current.id:
        return current
    if definitions is None:
        raise EngineError(f"definition {wanted} is needed to replay this case and was not given")
    return definitions(wanted)


def replay(
    case_id: str,
    events: list[CaseEvent],
    definition: ParsedDefinition,
    script_engine_factory: Callable[[Any], Any],
    *,
    up_to_seq: int | None = None,
    definitions: Definitions | None = None,
) -> ReplayResult:
    """Rebuild the case's state from ``events`` (ordered by seq) up to ``up_to_seq`` inclusive."""
    state: str | None = None
    last_seq = 0
    current = None
    for step in replay_commands(case_id, events, definition, script_engine_factory, definitions=definitions):
        cause = step.cause
        if up_to_seq is not None and cause.seq > up_to_seq:
            break
        if step.error is not None:
            return ReplayResult(state, last_seq, cause.seq, step.error, current)
        state, current = step.state_after, step.definition
        last_seq = min(step.events[-1].seq, up_to_seq) if up_to_seq is not None else step.events[-1].seq
        if step.diverges:
            return ReplayResult(
                state,
                last_seq,
                cause.seq,
                f"event {cause.seq} ({cause.type}) does not produce the state it recorded",
                current,
            )
    return ReplayResult(state, last_seq, definition=current)


def _apply_command(state, group, before, definition, script_engine_factory, task_ids, carried: _Carried) -> str:
    """Apply one command; ``before`` is the version the case was on, ``definition`` the one it is
    on after the command (they differ only at ``case_started`` and ``case_migrated``)."""
    cause = group[0]
    # Answers of synchronous operators are effects of the command that called them; a worker's
    # answer is the cause of its own command and is applied, not handed to the gateway.
    recorded = [event.payload for event in group[1:] if event.type == SERVICE_RESULT_RECORDED]
    script_engine = script_engine_factory(RecordedServiceGateway(recorded))
    with execution_context(ManualClock(cause.occurred_at), task_ids):
        if cause.type == CASE_STARTED:
            workflow = runtime.start_workflow(
                definition.spec, definition.subprocess_specs, cause.payload["data"], script_engine
            )
        elif state is None:
            raise EngineError(f"the history does not begin with {CASE_STARTED}")
        elif cause.type == CASE_MIGRATED:
            carried.take(state)
            workflow = moving.move_workflow(
                serialization.loads(state, before.spec, before.subprocess_specs), definition, script_engine
            )
        elif runtime.changes_workflow(cause.type):
            workflow = carried.take(state) or serialization.loads(state, definition.spec, definition.subprocess_specs)
            workflow.script_engine = script_engine
            runtime.apply_change(workflow, cause.type, cause.payload)
        else:
            return state  # claims and notes leave the workflow as it was
        after, exact = serialization.encode(workflow)
        carried.keep(workflow, after, exact)
        return after


def anonymised(events: list[CaseEvent]) -> bool:
    return any(event.redacted or event.type == CASE_ANONYMISED for event in events)


def verify(
    case: Case,
    events: list[CaseEvent],
    definition: ParsedDefinition,
    script_engine_factory: Callable[[Any], Any],
    *,
    definitions: Definitions | None = None,
) -> Verification:
    """Check the hash chain, then replay and compare every recorded state and the stored one."""
    result = Verification(case.id, case.number, ok=True, events=len(events))
    divergent: list[int] = []

    def problem(seq: int, message: str) -> None:
        divergent.append(seq)
        result.problems.append(message)

    broken = first_broken_link(events)
    if broken is not None:
        event, reason = broken
        problem(event.seq, f"hash chain broken at event {event.seq}: {reason}")
    last_seq = events[-1].seq if events else 0
    if last_seq != case.last_event_seq or (events and events[-1].hash != case.last_event_hash):
        problem(
            min(last_seq, case.last_event_seq) + 1 if last_seq != case.last_event_seq else last_seq,
            "the case's record of its last event does not match the log (events were removed or added)",
        )
    if anonymised(events):
        # Anonymised: the removed values cannot be applied again. The chain (through the salted
        # digests the removed values left) and the signed heads still prove the history.
        result.replayed = False
        result.ok = not result.problems
        result.first_divergent_seq = min(divergent) if divergent else None
        return result
    replayed = replay(case.id, events, definition, script_engine_factory, definitions=definitions)
    if replayed.divergent_seq is not None:
        problem(replayed.divergent_seq, replayed.reason)
    elif replayed.state != case.state:
        # The stored state belongs to the event the case row names as its last one.
        problem(case.last_event_seq, "the stored case state differs from the state its events produce")
    result.ok = not result.problems
    result.first_divergent_seq = min(divergent) if divergent else None
    return result
