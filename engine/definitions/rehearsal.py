"""The rehearsal of a case start, for every upload that would be executable: it shows that a case
can be started and that every user, manual and untyped task can be claimed by some group.

In memory only: no case, no event. The start runs as a real start does (the engine's keys in the
data, the registered script functions, synchronous operators answering, asynchronous ones left
waiting, as a worker would take them), with no form data. Who can claim each task is read from
the parsed procedure: its lane, when the lane is one of the office's groups (or the office does
not say which groups it has), or the office's default group for a task drawn in no lane.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable

from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask as ManualTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask as NoneTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin

from engine.clock import ManualClock, TaskIdSequence, execution_context
from engine.definitions.kinds import clean_name
from engine.definitions.xml import Report
from engine.errors import EngineError
from engine.workflow import runtime

log = logging.getLogger("onestop.definitions")
WORKED = (UserTaskMixin, ManualTaskMixin, NoneTaskMixin)
# The keys the engine adds to every case's data when it starts (engine/cases/handlers.py).
CASE_KEYS = {"case_number": "REHEARSAL", "channel": "counter", "sla_due_at": None}
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "onestop:rehearsal")


@dataclass
class Rehearsal:
    started: bool  # a case could be started (and ran to its first wait, or to its end)
    completed: bool  # it even ran to its end without anybody's work
    waiting: list[dict[str, Any]] = field(default_factory=list)  # the tasks a new case waits at
    tasks: list[dict[str, Any]] = field(default_factory=list)  # every worked task, and who claims it
    stopped: dict[str, Any] | None = None  # where the start failed (element), if it did

    @property
    def claimable(self) -> bool:
        return all(task["groups"] for task in self.tasks)

    def as_dict(self) -> dict:
        return {**asdict(self), "claimable": self.claimable}


def worked_task_specs(spec, subprocess_specs: dict) -> Iterable[Any]:
    """Every user, manual and untyped task of a procedure (its main process and what it calls)."""
    seen = set()
    for process in [spec, *subprocess_specs.values()]:
        for task_spec in process.task_specs.values():
            if isinstance(task_spec, WORKED) and getattr(task_spec, "bpmn_id", None) and id(task_spec) not in seen:
                seen.add(id(task_spec))
                yield task_spec


def assign_default_group(spec, subprocess_specs: dict, group: str | None) -> None:
    """The office's default group works the tasks drawn in no lane (when it has one)."""
    if group:
        for task_spec in worked_task_specs(spec, subprocess_specs):
            if task_spec.lane is None:
                task_spec.lane = group


def claimants(lane: str | None, groups: frozenset[str] | None) -> list[str]:
    """The groups that can claim a task in ``lane``."""
    if lane is None:
        return []
    return [lane] if groups is None or lane in groups else []


def rehearse(
    spec,
    subprocess_specs: dict,
    script_engine: Any,
    *,
    groups: frozenset[str] | None,
    now: datetime,
    report: Report | None = None,
    files: Callable[[str], str | None] = lambda element_id: None,
) -> Rehearsal:
    """Start a case in memory. A start that fails becomes a warning in ``report`` naming the element."""
    tasks = [
        {
            "element_id": task_spec.bpmn_id,
            "name": clean_name(task_spec.bpmn_name),
            "lane": task_spec.lane,
            "groups": claimants(task_spec.lane, groups),
        }
        for task_spec in worked_task_specs(spec, subprocess_specs)
    ]
    rehearsal = Rehearsal(False, False, tasks=tasks)
    try:
        with execution_context(ManualClock(now), TaskIdSequence(str(_NAMESPACE))):
            workflow = runtime.start_workflow(spec, subprocess_specs, dict(CASE_KEYS), script_engine)
    except Exception as error:  # noqa: BLE001 - a failed start is a finding, never a crash
        element_id = error.details.get("element_id") if isinstance(error, EngineError) else None
        log.info("the rehearsal of a case start stopped at %s: %s", element_id, error)
        rehearsal.stopped = {"element_id": element_id}
        if report is not None:
            report.add("start-fails", element_id=element_id, file=files(element_id) if element_id else None)
        return rehearsal
    rehearsal.started, rehearsal.completed = True, workflow.is_completed()
    by_id = {task["element_id"]: task for task in tasks}
    rehearsal.waiting = [
        {
            "element_id": ready.element_id,
            "name": clean_name(ready.name),
            "lane": ready.lane,
            "groups": by_id.get(ready.element_id, {}).get("groups", claimants(ready.lane, groups)),
        }
        for ready in runtime.ready_tasks(workflow)
    ]
    return rehearsal
