"""Dry run: walk a deployed definition with sample data and show the path it takes.

Everything happens in memory: no case is created, no event is written, no service is called.
Service tasks get the sample answers the designer gives (by operation name, or recorded answers
taken from a real case); user and manual tasks are completed with the sample form data given by
element id. The walk stops when the process ends, when it waits for something the sample does
not give (a task without sample data, a timer, a message), when the procedure fails (the element
is named), or after ``max_steps`` task completions (a loop).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.errors import EngineError, InvalidInput, ProcedureFailed
from engine.events import TASK_COMPLETED
from engine.workflow import runtime
from engine.workflow.sandbox import SandboxedScriptEngine

DEFAULT_MAX_STEPS = 200
_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass
class DryRunResult:
    completed: bool
    path: list[dict[str, Any]]  # finished activities and events, in order
    waiting: list[dict[str, Any]]  # what the walk stopped in front of
    service_calls: list[dict[str, Any]]  # the stubbed calls, with the answers given
    data: dict[str, Any]
    steps: int  # tasks completed with sample data
    stopped: dict[str, Any] | None = None  # why the walk stopped early (failure, step limit)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class SampleServices:
    """Answers service calls from sample answers by operation name: one answer for every call,
    or a list answered in order. Records each call; a missing answer fails at its element."""

    answers: dict[str, Any]
    calls: list[dict[str, Any]] = field(default_factory=list)

    def call(self, task, operation_name: str, operation_params: dict[str, Any]) -> Any:
        element_id = task.task_spec.bpmn_id
        if operation_name not in self.answers:
            raise ProcedureFailed(
                f"The dry run has no sample answer for operation '{operation_name}' "
                f"(service task {element_id}). Add one under services.",
                element_id=element_id,
                field="services",
            )
        answer = self.answers[operation_name]
        if isinstance(answer, list):
            if not answer:
                raise ProcedureFailed(
                    f"The sample answers for operation '{operation_name}' ran out at service task {element_id}.",
                    element_id=element_id,
                    field="services",
                )
            answer = answer.pop(0)
        params = {name: param.get("value") for name, param in (operation_params or {}).items()}
        self.calls.append({"element_id": element_id, "operation": operation_name, "params": params, "result": answer})
        return answer


def synchronous_script_engine(functions, timeout_seconds: float, step_limit: int | None = None) -> Callable[[Any], Any]:
    """A factory of script engines that call every service through the given gateway at once:
    in a dry run no operator is asynchronous (no worker, no job), the sample answers at once."""

    def build(gateway):
        return SandboxedScriptEngine(
            functions, timeout_seconds=timeout_seconds, service_gateway=gateway, step_limit=step_limit
        )

    return build


# The keys the engine adds to every case's data when it starts (engine/handlers.py), with stand-ins,
# so the dry run walks what a case walks; sample data given for them wins.
CASE_KEYS = {"case_number": "DRY-RUN", "channel": "counter"}


def dry_run(
    definition,
    script_engine: Callable[[Any], Any],
    data: dict[str, Any],
    *,
    tasks: dict[str, Any] | None = None,
    services: dict[str, Any] | None = None,
    max_steps: int = DEFAULT_MAX_STEPS,
    due_at: datetime | None = None,
) -> DryRunResult:
    """Walk ``definition`` (a ParsedDefinition). ``script_engine(gateway)`` builds the sandboxed
    script engine the runtime uses, with the sample services as its gateway. The walk happens now
    (the wall clock: its timers compare with it), and ``due_at`` is the due date a case started
    now would get (``sla_due_at`` in its data)."""
    _check_samples(data, tasks)
    gateway = SampleServices(json.loads(json.dumps(services or {})))  # lists are consumed: copy them
    answers = {key: list(value) if isinstance(value, list) else value for key, value in (tasks or {}).items()}
    start_data = {**CASE_KEYS, **_due(due_at), **data}
    workflow, steps, stopped = _walk(definition, script_engine(gateway), start_data, answers, max_steps)
    return _result(workflow, gateway, steps, stopped, answers)


def _walk(definition, script_engine, data: dict[str, Any], answers: dict[str, Any], max_steps: int):
    steps, stopped, workflow = 0, None, None
    try:
        workflow = runtime.start_workflow(definition.spec, definition.subprocess_specs, data, script_engine)
        while not workflow.is_completed():
            task = _next_answerable(workflow, answers)
            if task is None:
                break
            if steps >= max_steps:
                stopped = {
                    "element_id": task.task_spec.bpmn_id,
                    "reason": f"Stopped after {max_steps} task completions: the sample data may "
                    "keep the procedure in a loop.",
                }
                break
            runtime.apply_change(
                workflow,
                TASK_COMPLETED,
                {"task_id": str(task.id), "data": _answer_for(answers, task.task_spec.bpmn_id)},
            )
            steps += 1
    except EngineError as error:
        stopped = {"element_id": error.details.get("element_id"), "reason": error.message}
    return workflow, steps, stopped


def wall_clock_now() -> datetime:
    """The moment a dry run walks at (for the caller's due date)."""
    return datetime.now(timezone.utc)


def _due(due_at: datetime | None) -> dict[str, str]:
    return {"sla_due_at": due_at.isoformat()} if due_at is not None else {}


def _check_samples(data: Any, tasks: Any) -> None:
    """The sample must be shaped as the runtime expects, or the walk would fail inside it."""
    problems = [] if isinstance(data, dict) else [("data", "must be an object")]
    if not isinstance(tasks or {}, dict):
        problems.append(("tasks", "must be an object: task id -> form data"))
    else:
        for element_id, sample in (tasks or {}).items():
            if not all(isinstance(item, dict) for item in (sample if isinstance(sample, list) else [sample])):
                problems.append(("tasks", f"the sample for task '{element_id}' must be an object or a list of objects"))
    if problems:
        raise InvalidInput(
            f"The dry-run sample is not usable: {problems[0][0]} {problems[0][1]}",
            errors=[{"field": name, "message": message} for name, message in problems],
        )


def _next_answerable(workflow, answers: dict[str, Any]):
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        if task.task_spec.bpmn_id in answers and answers[task.task_spec.bpmn_id] != []:
            return task
    return None


def _answer_for(answers: dict[str, Any], element_id: str) -> dict[str, Any]:
    answer = answers[element_id]
    return answer.pop(0) if isinstance(answer, list) else answer


def _result(workflow, gateway: SampleServices, steps: int, stopped, answers) -> DryRunResult:
    if workflow is None:
        return DryRunResult(False, [], [], gateway.calls, {}, steps, stopped)
    path = [
        {key: step[key] for key in ("element_id", "name", "element_type")} for step in runtime.completed_steps(workflow)
    ]
    return DryRunResult(
        workflow.is_completed(),
        path,
        _waiting(workflow, answers),
        gateway.calls,
        _plain(_latest_data(workflow)),
        steps,
        stopped,
    )


def _waiting(workflow, answers: dict[str, Any]) -> list[dict[str, Any]]:
    waiting = []
    for task in workflow.get_tasks(state=_OPEN):
        spec = task.task_spec
        if spec.bpmn_id is None:
            continue
        if task.state == TaskState.READY and spec.manual:
            reason = (
                "the sample answers for this task ran out"
                if spec.bpmn_id in answers
                else "no sample data for this task: add it under tasks"
            )
        elif task.state == TaskState.STARTED:
            reason = "waits for the answer of an asynchronous service"
        elif task.state == TaskState.WAITING and getattr(spec, "event_definition", None) is not None:
            reason = f"waits for a {_event_kind(spec.event_definition)} event"
        else:
            continue
        waiting.append(
            {"element_id": spec.bpmn_id, "name": spec.bpmn_name, "element_type": _type_name(spec), "reason": reason}
        )
    return waiting


def _event_kind(definition) -> str:
    """``TimeDateEventDefinition`` -> ``timer``, ``MessageEventDefinition`` -> ``message``..."""
    if isinstance(definition, TimerEventDefinition):
        return "timer"
    return type(definition).__name__.replace("EventDefinition", "").lower() or "catch"


def _type_name(spec) -> str:
    """``UserTask`` -> ``userTask``, as BPMN names it."""
    name = type(spec).__name__
    return name[0].lower() + name[1:]


def _latest_data(workflow) -> dict[str, Any]:
    if workflow.is_completed():
        return dict(workflow.data)
    tasks = [
        task
        for task in workflow.get_tasks(state=TaskState.ANY_MASK)
        if task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED, TaskState.COMPLETED)
    ]
    latest = max(tasks, key=lambda task: task.last_state_change, default=None)
    return dict(latest.data) if latest is not None else {}


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """Only JSON values (scripts may leave dates or other objects in the data)."""
    return json.loads(json.dumps(data, default=str))
