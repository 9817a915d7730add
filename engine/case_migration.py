"""Preview of moving open cases from one version of a procedure to another.

A running case waits at some BPMN elements (open user tasks, timers, messages, a call activity in
progress). It can move to the new version when every one of those elements exists there with
the same type; otherwise the elements that are missing or changed type block it, and the
preview names them. The preview only reads: it changes no case.

(The move itself, recorded as a ``case_migrated`` event that replay follows, is not built yet.)
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from SpiffWorkflow.util.task import TaskState

from . import queries, serialization
from .errors import InvalidInput
from .models import Case

MAX_PREVIEW_CASES = 1000
_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def preview_migration(session: Session, catalog, process_key: str, from_version: int, to_version: int,
                      limit: int = MAX_PREVIEW_CASES) -> dict[str, Any]:
    """Which running cases of ``from_version`` could move to ``to_version``, and what blocks the others."""
    source = queries.definition_version(session, process_key, from_version)
    target = queries.definition_version(session, process_key, to_version)
    for definition, name in ((source, "from"), (target, "to")):
        if definition.draft:
            raise InvalidInput(f"Version {definition.version} of {process_key} is a draft: cases neither run "
                               "on it nor move to it.", errors=[{"field": name, "message": "is a draft"}])
    old, new = catalog.get(session, source.id), catalog.get(session, target.id)
    target_elements = _element_types(new)
    cases = session.scalars(select(Case).where(Case.definition_id == source.id, Case.status == "running")
                            .order_by(Case.received_at, Case.id).limit(limit + 1)).all()
    movable, blocked = [], []
    for case in cases[:limit]:
        waiting = _waiting_elements(serialization.loads(case.state, old.spec, old.subprocess_specs))
        blockers = [_blocker(element, target_elements) for element in waiting]
        blockers = [blocker for blocker in blockers if blocker]
        entry = {"case_id": case.id, "number": case.number, "waiting_at": waiting}
        (blocked if blockers else movable).append({**entry, "blocked_by": blockers} if blockers else entry)
    return {"key": process_key, "from": from_version, "to": to_version, "movable": movable,
            "blocked": blocked, "truncated": len(cases) > limit}


def _element_types(definition) -> dict[str, str]:
    """BPMN id -> element type of every element of a parsed definition (main and called processes)."""
    types = {}
    for spec in (definition.spec, *definition.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "bpmn_id", None):
                types[task_spec.bpmn_id] = _type_name(task_spec)
    return types


def _waiting_elements(workflow) -> list[dict[str, str]]:
    seen, waiting = set(), []
    for task in workflow.get_tasks(state=_OPEN):
        element_id = task.task_spec.bpmn_id
        if element_id and element_id not in seen:
            seen.add(element_id)
            waiting.append({"element_id": element_id, "element_type": _type_name(task.task_spec)})
    return waiting


def _blocker(element: dict[str, str], target: dict[str, str]) -> dict[str, str] | None:
    element_id, element_type = element["element_id"], element["element_type"]
    if element_id not in target:
        return {**element, "reason": f"{element_type} '{element_id}' does not exist in the new version: "
                                     "keep it, or let these cases finish on their version."}
    if target[element_id] != element_type:
        return {**element, "reason": f"'{element_id}' is a {element_type} here and a {target[element_id]} "
                                     "in the new version."}
    return None


def _type_name(spec) -> str:
    name = type(spec).__name__
    return name[0].lower() + name[1:]
