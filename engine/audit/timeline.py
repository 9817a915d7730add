"""A case's history as an auditor reads it: every event with who, when, the BPMN element it
concerns, and what it changed in the case data.

The changes are not stored anywhere: replay rebuilds the state before and after each command,
and the timeline compares the two. So the timeline shows what the recorded events produce; if
replay diverges from the recorded state hashes, the timeline says where.

An event that names no element itself (a case start, a delivered message, a fired timer) is
shown with the first BPMN element its command finished: the start event, the catching message
event, the timer.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from engine.access import CaseAccess
from engine.audit import replay
from engine.definitions.deployments import ParsedDefinition
from engine.storage import queries
from engine.storage.models import Case, CaseEvent
from engine.workflow import runtime, serialization
from engine.workflow.describe import current_data

Mask = Callable[[Any], Any]
NOT_SHOWN = object()  # marks the side of a change where a key does not exist


@dataclass(frozen=True)
class Element:
    id: str
    name: str | None
    type: str


@dataclass
class Snapshot:
    """What the timeline needs of one serialized state: the case data and the finished steps."""

    data: dict[str, Any] = field(default_factory=dict)
    finished: list[tuple[str, Any]] = field(default_factory=list)  # (element id, finish time)


def element_index(definition: ParsedDefinition) -> dict[str, Element]:
    """Every BPMN element of the definition (main process and subprocesses) by its id."""
    index: dict[str, Element] = {}
    for spec in (definition.spec, *definition.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            if bpmn_id:
                index[bpmn_id] = Element(bpmn_id, getattr(task_spec, "bpmn_name", None), _element_type(task_spec))
    return index


def _element_type(task_spec) -> str:
    """userTask, startEvent... as the inbox and the finished steps name them."""
    name = type(task_spec).__name__
    return name[0].lower() + name[1:]


def snapshot(state: str | None, definition: ParsedDefinition) -> Snapshot:
    if state is None:
        return Snapshot()

    workflow = serialization.loads(state, definition.spec, definition.subprocess_specs)
    finished = [(step["element_id"], step["finished_at"]) for step in runtime.completed_steps(workflow)]
    return Snapshot(current_data(workflow), finished)


def data_changes(before: dict, after: dict, prefix: str = "") -> list[dict[str, Any]]:
    """What differs between two data dicts, key by key (nested dicts by dotted path)."""
    changes = []
    for key in sorted(set(before) | set(after), key=str):
        path = f"{prefix}{key}"
        old, new = before.get(key, NOT_SHOWN), after.get(key, NOT_SHOWN)
        if isinstance(old, dict) and isinstance(new, dict):
            changes.extend(data_changes(old, new, prefix=f"{path}."))
        elif old is NOT_SHOWN:
            changes.append({"path": path, "change": "added", "before": None, "after": new})
        elif new is NOT_SHOWN:
            changes.append({"path": path, "change": "removed", "before": old, "after": None})
        elif old != new:
            changes.append({"path": path, "change": "changed", "before": old, "after": new})
    return changes


def newly_finished(before: Snapshot, after: Snapshot) -> list[str]:
    """Elements finished by the command, in order (a loop may finish one element twice)."""
    already = Counter(before.finished)
    finished = []
    for step in after.finished:
        if already[step]:
            already[step] -= 1
        else:
            finished.append(step[0])
    return finished


def masked(value: Any, mask: Mask | None) -> Any:
    return mask(value) if mask is not None else value


def case_timeline(
    case: Case,
    events: list[CaseEvent],
    definition: ParsedDefinition,
    script_engine_factory: Callable[[Any], Any],
    *,
    mask: Mask | None = None,
    definitions: replay.Definitions | None = None,
) -> dict[str, Any]:
    """The timeline of one case; ``mask`` (e.g. hiding national ID numbers) applies to payloads
    and to both sides of every data change. A case that moved to another version is shown with
    the elements of the version it was on at each step."""
    indexes = {definition.id: element_index(definition)}
    elements = indexes[definition.id]
    entries: list[dict[str, Any]] = []
    divergence = None
    previous = Snapshot()
    anonymised = replay.anonymised(events)
    # An anonymised case cannot be replayed (the removed values are gone): its events are listed
    # as they are now, each with the keys it lost; the chain and the signed roots prove them.
    steps = (
        []
        if anonymised
        else replay.replay_commands(case.id, events, definition, script_engine_factory, definitions=definitions)
    )
    for step in steps:
        version = step.definition or definition
        if version.id not in indexes:
            indexes[version.id] = element_index(version)
        elements = indexes[version.id]
        current = snapshot(step.state_after, version)
        finished = newly_finished(previous, current)
        changes = [
            {**change, "before": masked(change["before"], mask), "after": masked(change["after"], mask)}
            for change in data_changes(previous.data, current.data)
        ]
        for position, event in enumerate(step.events):
            cause = position == 0
            entries.append(_entry(event, elements, mask, changes if cause else [], finished if cause else []))
        if step.diverges and divergence is None:
            divergence = {
                "seq": step.cause.seq,
                "reason": step.error or "the events do not produce the state this command recorded",
            }
        previous = current
    _list_unreplayed(entries, events, elements, mask)
    return {
        "case_id": case.id,
        "number": case.number,
        "procedure": case.procedure_key,
        "definition_id": case.definition_id,
        "status": case.status,
        "events": len(events),
        "anonymised": anonymised,
        "divergence": divergence,
        "entries": entries,
    }


def concerned_element(event: CaseEvent, finished: list[str], elements: dict[str, Element]) -> str | None:
    """The event's own element, else the first BPMN event its command finished (the start event,
    the message or timer that caught), else the first element it finished at all."""
    if event.element_id:
        return event.element_id
    for element_id in finished:
        element = elements.get(element_id)
        if element is not None and element.type.endswith("Event"):
            return element_id
    return finished[0] if finished else None


def _entry(event: CaseEvent, elements: dict[str, Element], mask: Mask | None, changes: list, finished: list[str]):
    element_id = concerned_element(event, finished, elements)
    element = elements.get(element_id) if element_id else None
    return {
        "seq": event.seq,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "actor": event.actor,
        "command_id": event.command_id,
        "element_id": element_id,
        "element_name": element.name if element else None,
        "element_type": element.type if element else None,
        "payload": masked(event.payload, mask),
        "redacted": sorted(event.redacted or {}),
        "changes": changes,
        "finished_steps": [
            {"element_id": item, "name": elements[item].name if item in elements else None} for item in finished
        ],
        "hash": event.hash,
    }


def _list_unreplayed(entries: list, events: list[CaseEvent], elements, mask) -> None:
    """Events after a command that replay could not apply are still listed, without changes."""
    shown = {entry["seq"] for entry in entries}
    for event in events:
        if event.seq not in shown:
            entries.append(_entry(event, elements, mask, [], []))


def timeline_of(engine, case_id: str, *, mask: Mask | None = None, access: CaseAccess | None = None) -> dict[str, Any]:
    """Load a case (if ``access`` reaches it), its events and its definition version, and build its timeline."""

    with engine.read() as session:
        case = queries.get_case(session, case_id, access)
        events = queries.case_events(session, case_id)
        definition = engine.deployments.get(session, case.definition_id)
    return case_timeline(
        case, events, definition, engine.replay_script_engine, mask=mask, definitions=engine.definition
    )
