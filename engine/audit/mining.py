"""Process-mining exports of selected cases: XES (IEEE 1849) and OCEL 2.0 JSON.

Both are built from the event log and the inbox rows, without replaying any case, so an export
of many cases costs a few queries. Each case is a trace; each BPMN step an event with
``concept:name`` = the element's name, ``time:timestamp``, ``org:resource`` = who did it and
``lifecycle:transition``: a user task is ``schedule``d when it enters the inbox, ``start``ed when
claimed (``suspend``ed when unclaimed, ``resume``d when claimed again) and ``complete``d. Other
events (case started, message received, timers, service answers, case closed) are ``complete``
events named after their element where the log says which one, else after what happened.

Personal data stays out: traces carry the case number, procedure, version, channel and status,
never the case data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Sequence

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import CaseAccess
from engine.audit.timeline import Element, element_index
from engine.storage.models import Case, CaseEvent, Definition, Task
from engine.storage.visibility import reachable

XES_NS = "http://www.xes-standard.org/"
XES_EXTENSIONS = (
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
    ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
)
# What an event is called when the log does not say which BPMN element it concerns.
EVENT_LABELS = {
    "case_started": "Case started",
    "case_completed": "Case completed",
    "case_cancelled": "Case cancelled",
    "timers_fired": "Timer fired",
    "rating_recorded": "Rating recorded",
    "message_delivered": "Message received",
    "case_migrated": "Moved to a new version",
}
TASK_TRANSITIONS = {"task_claimed": "start", "task_unclaimed": "suspend", "task_completed": "complete"}
MAX_CASES = 100_000


@dataclass(frozen=True)
class CaseSelection:
    procedure: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    status: str | None = None
    case_ids: Sequence[str] | None = None
    limit: int = 10_000
    access: CaseAccess | None = None  # only the cases this caller reaches (None: all)


@dataclass(frozen=True)
class MinedEvent:
    id: str
    activity: str
    element_id: str | None
    time: datetime
    resource: str | None
    transition: str
    event_type: str
    task_id: str | None = None
    lane: str | None = None


@dataclass
class MinedCase:
    case: Case
    version: int
    events: list[MinedEvent]


def select_cases(session: Session, selection: CaseSelection) -> list[Case]:
    query = select(Case).where(reachable(selection.access))
    if selection.procedure is not None:
        query = query.where(Case.procedure_key == selection.procedure)
    if selection.received_from is not None:
        query = query.where(Case.received_at >= selection.received_from)
    if selection.received_to is not None:
        query = query.where(Case.received_at < selection.received_to)
    if selection.status is not None:
        query = query.where(Case.status == selection.status)
    if selection.case_ids is not None:
        query = query.where(Case.id.in_(list(selection.case_ids)))
    return list(session.scalars(query.order_by(Case.received_at, Case.id).limit(min(selection.limit, MAX_CASES))))


def mined_cases(engine, selection: CaseSelection, batch_size: int = 500) -> list[MinedCase]:
    """The selected cases with their events as process-mining events, in time order."""
    with engine.read() as session:
        cases = select_cases(session, selection)
        versions = dict(session.execute(select(Definition.id, Definition.version)).all())
        indexes = {
            definition_id: _labels(engine.deployments.get(session, definition_id))
            for definition_id in {case.definition_id for case in cases}
        }
        result = []
        for start in range(0, len(cases), batch_size):
            batch = cases[start : start + batch_size]
            events, tasks = _events_and_tasks(session, [case.id for case in batch])
            for case in batch:
                mined = _case_events(events[case.id], tasks[case.id], indexes[case.definition_id])
                result.append(MinedCase(case, versions.get(case.definition_id, 0), mined))
    return result


@dataclass(frozen=True)
class _Labels:
    elements: dict[str, Element]
    start_element: Element | None  # the main process' start event, when it has one
    by_message: dict[str, Element]  # message name -> the element catching it (when only one does)


def _labels(definition) -> _Labels:
    elements = element_index(definition)
    main_ids = {spec.bpmn_id for spec in definition.spec.task_specs.values() if getattr(spec, "bpmn_id", None)}
    starts = [elements[i] for i in main_ids if elements[i].type == "startEvent"]
    catching: dict[str, list[Element]] = defaultdict(list)
    for spec in (definition.spec, *definition.subprocess_specs.values()):
        for name, element_id in _message_catchers(spec):
            catching[name].append(elements[element_id])
    return _Labels(
        elements,
        starts[0] if len(starts) == 1 else None,
        {name: found[0] for name, found in catching.items() if len(found) == 1},
    )


def _message_catchers(spec) -> Iterator[tuple[str, str]]:
    """(message name, id of the element that catches it). An event-based gateway holds the
    definitions of the events behind it, in the order of its outgoing flows."""
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        if isinstance(task_spec, EventBasedGateway):
            pairs = zip(definition.event_definitions, task_spec.outputs)
        elif isinstance(task_spec, CatchingEvent):
            pairs = [(definition, task_spec)]
        else:
            continue
        for event_definition, catcher in pairs:
            if isinstance(event_definition, MessageEventDefinition) and getattr(catcher, "bpmn_id", None):
                yield event_definition.name, catcher.bpmn_id


def _events_and_tasks(session: Session, case_ids: list[str]):
    events: dict[str, list[CaseEvent]] = defaultdict(list)
    for event in session.scalars(
        select(CaseEvent).where(CaseEvent.case_id.in_(case_ids)).order_by(CaseEvent.case_id, CaseEvent.seq)
    ):
        events[event.case_id].append(event)
    tasks: dict[str, list[Task]] = defaultdict(list)
    for task in session.scalars(select(Task).where(Task.case_id.in_(case_ids))):
        tasks[task.case_id].append(task)
    return events, tasks


def _case_events(events: list[CaseEvent], tasks: list[Task], labels: _Labels) -> list[MinedEvent]:
    lanes = {task.id: task.lane for task in tasks}
    mined: list[MinedEvent] = []
    claimed_before: set[str] = set()
    for event in events:
        task_id = (event.payload or {}).get("task_id") if event.type in TASK_TRANSITIONS else None
        transition = TASK_TRANSITIONS.get(event.type, "complete")
        if event.type == "task_claimed":
            transition = "resume" if task_id in claimed_before else "start"
            claimed_before.add(task_id)
        element = _element_of(event, labels)
        mined.append(
            MinedEvent(
                id=f"{event.case_id}:{event.seq}",
                activity=(element.name or element.id) if element else _label(event),
                element_id=element.id if element else None,
                time=event.occurred_at,
                resource=event.actor,
                transition=transition,
                event_type=event.type,
                task_id=task_id,
                lane=lanes.get(task_id),
            )
        )
    return _with_schedules(mined, events, tasks, labels)


def _with_schedules(
    mined: list[MinedEvent], events: list[CaseEvent], tasks: list[Task], labels: _Labels
) -> list[MinedEvent]:
    """Insert each task's ``schedule`` right after the command that created it: the last command
    at the task's creation time before anything else happened to the task."""
    command_ends = [
        index
        for index, event in enumerate(events)
        if index + 1 == len(events) or events[index + 1].command_id != event.command_id
    ]
    inserts: list[tuple[int, MinedEvent]] = []
    for task in tasks:
        first_use = next((i for i, item in enumerate(mined) if item.task_id == task.id), len(mined))
        ends = [i for i in command_ends if i < first_use and events[i].occurred_at == task.created_at]
        position = ends[-1] + 1 if ends else sum(1 for item in mined if item.time <= task.created_at)
        inserts.append((position, _scheduled(task, labels)))
    result = list(mined)
    for position, scheduled in sorted(inserts, key=lambda pair: pair[0], reverse=True):
        result.insert(position, scheduled)
    return result


def _scheduled(task: Task, labels: _Labels) -> MinedEvent:
    element = labels.elements.get(task.element_id)
    return MinedEvent(
        id=f"{task.id}:scheduled",
        activity=(element.name if element else None) or task.name or task.element_id,
        element_id=task.element_id,
        time=task.created_at,
        resource=None,
        transition="schedule",
        event_type="task_created",
        task_id=task.id,
        lane=task.lane,
    )


def _element_of(event: CaseEvent, labels: _Labels) -> Element | None:
    if event.element_id:
        return labels.elements.get(event.element_id) or Element(event.element_id, None, "")
    if event.type == "case_started":
        return labels.start_element
    if event.type == "message_delivered":
        return labels.by_message.get((event.payload or {}).get("name"))
    return None


def _label(event: CaseEvent) -> str:
    if event.type == "message_delivered":
        return f"Message {(event.payload or {}).get('name')}"
    return EVENT_LABELS.get(event.type, event.type.replace("_", " ").capitalize())


# ---------------------------------------------------------------------- XES
def xes_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _attribute(parent, kind: str, key: str, value: Any) -> None:
    if value is None:
        return
    if kind == "date":
        value = xes_time(value)
    elif kind == "boolean":
        value = "true" if value else "false"
    etree.SubElement(parent, kind, key=key, value=str(value))


def to_xes(cases: Iterable[MinedCase], log_name: str = "onestop cases") -> bytes:
    """An IEEE 1849 (XES) document, one trace per case."""
    log = etree.Element(
        "log", nsmap={None: XES_NS}, attrib={"xes.version": "1849-2016", "xes.features": "nested-attributes"}
    )
    for name, prefix, uri in XES_EXTENSIONS:
        etree.SubElement(log, "extension", name=name, prefix=prefix, uri=uri)
    trace_global = etree.SubElement(log, "global", scope="trace")
    _attribute(trace_global, "string", "concept:name", "__INVALID__")
    event_global = etree.SubElement(log, "global", scope="event")
    _attribute(event_global, "string", "concept:name", "__INVALID__")
    _attribute(event_global, "date", "time:timestamp", datetime(1970, 1, 1, tzinfo=timezone.utc))
    _attribute(event_global, "string", "lifecycle:transition", "complete")
    etree.SubElement(log, "classifier", name="Activity", keys="concept:name")
    etree.SubElement(log, "classifier", name="Activity and transition", keys="concept:name lifecycle:transition")
    _attribute(log, "string", "concept:name", log_name)
    for mined in cases:
        _trace(log, mined)
    return etree.tostring(log, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _trace(log, mined: MinedCase) -> None:
    trace = etree.SubElement(log, "trace")
    case = mined.case
    _attribute(trace, "string", "concept:name", case.number)
    _attribute(trace, "string", "case_id", case.id)
    _attribute(trace, "string", "procedure", case.procedure_key)
    _attribute(trace, "int", "definition_version", mined.version)
    _attribute(trace, "string", "channel", case.channel)
    _attribute(trace, "string", "status", case.status)
    _attribute(trace, "date", "received_at", case.received_at)
    _attribute(trace, "date", "due_at", case.due_at)
    for item in mined.events:
        event = etree.SubElement(trace, "event")
        _attribute(event, "string", "concept:name", item.activity)
        _attribute(event, "date", "time:timestamp", item.time)
        _attribute(event, "string", "lifecycle:transition", item.transition)
        _attribute(event, "string", "org:resource", item.resource)
        _attribute(event, "string", "org:group", item.lane)
        _attribute(event, "string", "element_id", item.element_id)
        _attribute(event, "string", "event_type", item.event_type)
        _attribute(event, "string", "task_id", item.task_id)


# ---------------------------------------------------------------------- OCEL 2.0
def _ocel_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def to_ocel(cases: Iterable[MinedCase]) -> dict[str, Any]:
    """An OCEL 2.0 (JSON) log: cases and tasks are objects; every event relates to its case and,
    for task events, to its task."""
    objects: list[dict] = []
    events: list[dict] = []
    activities: set[str] = set()
    epoch = _ocel_time(datetime(1970, 1, 1, tzinfo=timezone.utc))
    for mined in cases:
        case = mined.case
        objects.append(
            {
                "id": case.id,
                "type": "case",
                "attributes": [
                    {"name": name, "time": epoch, "value": value}
                    for name, value in (
                        ("number", case.number),
                        ("procedure", case.procedure_key),
                        ("version", mined.version),
                        ("channel", case.channel),
                        ("status", case.status),
                    )
                ],
            }
        )
        tasks: dict[str, MinedEvent] = {}
        for item in mined.events:
            activities.add(item.activity)
            relationships = [{"objectId": case.id, "qualifier": "case"}]
            if item.task_id:
                tasks.setdefault(item.task_id, item)
                relationships.append({"objectId": item.task_id, "qualifier": "task"})
            events.append(
                {
                    "id": item.id,
                    "type": item.activity,
                    "time": _ocel_time(item.time),
                    "attributes": [
                        {"name": "resource", "value": item.resource or ""},
                        {"name": "lifecycle", "value": item.transition},
                    ],
                    "relationships": relationships,
                }
            )
        objects.extend(
            {
                "id": task_id,
                "type": "task",
                "attributes": [
                    {"name": "element_id", "time": epoch, "value": first.element_id or ""},
                    {"name": "lane", "time": epoch, "value": first.lane or ""},
                ],
                "relationships": [{"objectId": case.id, "qualifier": "part of"}],
            }
            for task_id, first in tasks.items()
        )
    return {
        "objectTypes": [
            {
                "name": "case",
                "attributes": [
                    {"name": "number", "type": "string"},
                    {"name": "procedure", "type": "string"},
                    {"name": "version", "type": "integer"},
                    {"name": "channel", "type": "string"},
                    {"name": "status", "type": "string"},
                ],
            },
            {
                "name": "task",
                "attributes": [{"name": "element_id", "type": "string"}, {"name": "lane", "type": "string"}],
            },
        ],
        "eventTypes": [
            {
                "name": name,
                "attributes": [{"name": "resource", "type": "string"}, {"name": "lifecycle", "type": "string"}],
            }
            for name in sorted(activities)
        ],
        "objects": objects,
        "events": events,
    }
