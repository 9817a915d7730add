"""Moving open cases from one version of a procedure to another, and the preview of it.

A running case waits at some BPMN elements (open user tasks, timers, messages, a call activity in
progress). It can move to the new version when every one of those elements exists there with
the same type, and every step of its history can be matched to an element of the new version
(by id, or by SpiffWorkflow's alignment of a renamed element between the same neighbours);
otherwise the elements that block it are named. The preview only reads: it changes no case.

The move itself (``move_workflow``) puts the case's task tree onto the new version's specs and
predicts again what follows each waiting task, so a changed later part of the diagram takes
effect. The command handler records it as a ``case_migrated`` event, and replay applies the
same function at that event, so a migrated case still verifies.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Conflict, InvalidInput
from engine.storage import queries
from engine.storage.models import Case
from engine.workflow import serialization
from engine.workflow.gateways import RecordedServiceGateway

MAX_PREVIEW_CASES = 1000
_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def preview_move(
    session: Session,
    deployments,
    process_key: str,
    from_version: int,
    to_version: int,
    limit: int = MAX_PREVIEW_CASES,
    script_engine_factory=None,
) -> dict[str, Any]:
    """Which running cases of ``from_version`` could move to ``to_version``, and what blocks the others."""
    source = queries.definition_version(session, process_key, from_version)
    target = queries.definition_version(session, process_key, to_version)
    for definition, name in ((source, "from"), (target, "to")):
        if definition.draft:
            raise InvalidInput(
                f"Version {definition.version} of {process_key} is a draft: cases neither run on it nor move to it.",
                errors=[{"field": name, "message": "is a draft"}],
            )
    old, new = deployments.get(session, source.id), deployments.get(session, target.id)
    cases = session.scalars(
        select(Case)
        .where(Case.definition_id == source.id, Case.status == "running")
        .order_by(Case.received_at, Case.id)
        .limit(limit + 1)
    ).all()
    movable, blocked = [], []
    for case in cases[:limit]:
        workflow = serialization.loads(case.state, old.spec, old.subprocess_specs)
        waiting = _waiting_elements(workflow)
        try:
            # In memory only: the moved state is thrown away.
            scripts = script_engine_factory(RecordedServiceGateway([])) if script_engine_factory else None
            move_workflow(workflow, new, scripts)
            blockers = []
        except MoveBlocked as error:
            blockers = error.details["blocked_by"]
        entry = {"case_id": case.id, "number": case.number, "waiting_at": waiting}
        (blocked if blockers else movable).append({**entry, "blocked_by": blockers} if blockers else entry)
    return {
        "key": process_key,
        "from": from_version,
        "to": to_version,
        "movable": movable,
        "blocked": blocked,
        "truncated": len(cases) > limit,
    }


class MoveBlocked(Conflict):
    """The case cannot move to the new version; ``details['blocked_by']`` names the elements."""


def check_versions(process_key: str, source, target) -> None:
    """A case moves forward, between published versions of one procedure."""
    for definition, name in ((source, "from_version"), (target, "to_version")):
        if definition.draft:
            raise InvalidInput(
                f"Version {definition.version} of {process_key} is a draft: cases neither run on it nor move to it.",
                errors=[{"field": name, "message": "is a draft"}],
            )
    if target.version <= source.version:
        raise InvalidInput(
            f"Cases move only to a newer version: {target.version} is not newer than {source.version}",
            errors=[{"field": "to_version", "message": f"must be greater than {source.version}"}],
        )


def move_workflow(workflow, target, script_engine=None):
    """Put ``workflow`` (loaded on its current version) onto the specs of ``target`` and return
    it as stored and loaded again on ``target`` (which proves the new version can load it).

    Raises MoveBlocked naming every element that prevents it; ``workflow`` is then
    unusable. Waiting and ready tasks are reset and their following steps predicted from the
    new version; a waiting timer keeps the due time it had (its internal data), so moving a
    case does not restart its clocks. Deterministic under the command's clock and task ids,
    which replay fixes to the recorded ones. ``script_engine`` evaluates what preparing the
    waiting tasks again evaluates (timer expressions): the engine's sandbox, with a service
    gateway that answers no call, since moving a case runs no step.
    """
    target_elements = _element_types(target)
    blockers = [blocker for element in _waiting_elements(workflow) if (blocker := _blocker(element, target_elements))]
    blockers += _missing_subprocesses(workflow, target)
    if blockers:
        raise _blocked(blockers)
    registry = serialization.registry()
    top_diff, subprocess_diffs = diff_workflow(registry, workflow, target.spec, target.subprocess_specs)
    kept = {task.id: dict(task.internal_data) for task in workflow.get_tasks(state=TaskState.WAITING)}
    workflow.subprocess_specs = target.subprocess_specs
    if script_engine is not None:
        workflow.script_engine = script_engine
    try:
        migrate_workflow(top_diff, workflow, target.spec)
        for subprocess_id, subprocess in workflow.subprocesses.items():
            migrate_workflow(subprocess_diffs[subprocess_id], subprocess, target.subprocess_specs[subprocess.spec.name])
    except WorkflowException as error:
        spec = getattr(error, "task_spec", None) or getattr(getattr(error, "task", None), "task_spec", None)
        element_id = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None) or "an element"
        raise _blocked(
            [
                {
                    "element_id": element_id,
                    "element_type": _type_name(spec) if spec else "unknown",
                    "reason": f"'{element_id}' cannot be prepared in the new version: {error}",
                }
            ]
        ) from error
    for task in workflow.get_tasks(state=TaskState.WAITING):
        if task.id in kept:
            task.internal_data = kept[task.id]
    unmatched = _unmatched_steps(workflow, target)
    if unmatched:
        raise _blocked(unmatched)
    return serialization.loads(serialization.dumps(workflow), target.spec, target.subprocess_specs)


def _blocked(blockers: list[dict[str, str]]) -> MoveBlocked:
    elements = ", ".join(f"'{blocker['element_id']}'" for blocker in blockers)
    return MoveBlocked(
        f"The case cannot move to the new version: blocked by {elements}. "
        + " ".join(blocker["reason"] for blocker in blockers),
        blocked_by=blockers,
    )


def _missing_subprocesses(workflow, target) -> list[dict[str, str]]:
    return [
        {
            "element_id": subprocess.spec.name,
            "element_type": "subProcess",
            "reason": f"the running sub-process '{subprocess.spec.name}' does not exist in the new version.",
        }
        for subprocess in workflow.subprocesses.values()
        if subprocess.spec.name not in target.subprocess_specs
    ]


def _unmatched_steps(workflow, target) -> list[dict[str, str]]:
    """Steps of the case (finished or still predicted) whose element the new version lacks:
    their state could not be stored against the new version."""
    specs = [target.spec, *target.subprocess_specs.values()]
    seen, unmatched = set(), []
    for part in [workflow, *workflow.subprocesses.values()]:
        for task in part.tasks.values():
            spec = task.task_spec
            if any(known.task_specs.get(spec.name) is spec for known in specs):
                continue
            element_id = spec.bpmn_id or spec.name
            if element_id not in seen:
                seen.add(element_id)
                unmatched.append(
                    {
                        "element_id": element_id,
                        "element_type": _type_name(spec),
                        "reason": f"the case already passed {_type_name(spec)} '{element_id}', which "
                        "the new version no longer has.",
                    }
                )
    return unmatched


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
            waiting.append(
                {
                    "element_id": element_id,
                    "element_type": _type_name(task.task_spec),
                    "name": task.task_spec.bpmn_name or "",
                }
            )
    return waiting


def _blocker(element: dict[str, str], target: dict[str, str]) -> dict[str, str] | None:
    element_id, element_type = element["element_id"], element["element_type"]
    if element_id not in target:
        return {
            **element,
            "reason": f"{element_type} '{element_id}' does not exist in the new version: "
            "keep it, or let these cases finish on their version.",
        }
    if target[element_id] != element_type:
        return {
            **element,
            "reason": f"'{element_id}' is a {element_type} here and a {target[element_id]} in the new version.",
        }
    return None


def _type_name(spec) -> str:
    name = type(spec).__name__
    return name[0].lower() + name[1:]
