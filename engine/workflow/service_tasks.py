"""Service tasks that wait for a worker: the task spec, the parser that uses it, and the
helpers with which a command finds the waiting tasks and gives them their outcome.

``OnestopServiceTask`` asks the script engine whether its operator is asynchronous. If not, it
calls it at once, as SpiffWorkflow's own service task does. If so, it evaluates its parameters
(through the sandbox), keeps them in the task's ``internal_data`` and returns None: SpiffWorkflow
leaves the task STARTED, the command's transaction ends, and the command handler queues a job
for it. Later a command applies the outcome: the result goes to the result variable and the
task completes, or a BPMN error with the failure's code is thrown for an error boundary event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser
from SpiffWorkflow.spiff.specs.defaults import ServiceTask
from SpiffWorkflow.spiff.specs.event_definitions import ErrorEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.errors import Conflict, ProcedureFailed

SERVICE_REQUEST = "onestop_service_request"  # internal_data key: the evaluated parameters


class OnestopServiceTask(ServiceTask):
    def _execute(self, task):
        is_asynchronous = getattr(task.workflow.script_engine, "is_asynchronous", None)
        if is_asynchronous is None or not is_asynchronous(self.operation_name):
            return super()._execute(task)
        params = {name: param["value"] for name, param in self.evaluate_params(task).items()}
        try:
            json.dumps(params, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise WorkflowTaskException(
                f"The parameters of service task '{self.bpmn_id}' are not plain JSON: {error}", task=task
            ) from error
        task.internal_data[SERVICE_REQUEST] = params
        return None  # STARTED: a worker performs the call


class OnestopBpmnParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ServiceTaskParser, OnestopServiceTask),
    }


def has_error_boundary(task_spec) -> bool:
    """Does an error boundary event sit on this task? (SpiffWorkflow puts a task with boundary
    events under a split whose other outputs are the events.)"""
    return any(
        isinstance(getattr(sibling, "event_definition", None), ErrorEventDefinition)
        for parent in task_spec.inputs
        for sibling in parent.outputs
        if sibling is not task_spec
    )


@dataclass(frozen=True)
class WaitingServiceTask:
    """A service task waiting for its worker, as the jobs table needs it."""

    task_id: str
    element_id: str | None
    operation: str
    params: dict[str, Any]
    retries: int | None
    backoff_base: float | None
    name: str | None = None  # the element's name, for people


def waiting_service_tasks(workflow) -> list[WaitingServiceTask]:
    """The STARTED asynchronous service tasks of the process and its subprocesses."""
    waiting = []
    for part in [workflow, *getattr(workflow, "subprocesses", {}).values()]:
        for task in part.get_tasks(state=TaskState.STARTED):
            if SERVICE_REQUEST in task.internal_data:
                spec = task.task_spec
                waiting.append(
                    WaitingServiceTask(
                        str(task.id),
                        spec.bpmn_id,
                        spec.operation_name,
                        task.internal_data[SERVICE_REQUEST],
                        spec.retries,
                        spec.retry_backoff_base,
                        getattr(spec, "bpmn_name", None),
                    )
                )
    return waiting


def _waiting_task(workflow, task_id: str):
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (ValueError, KeyError):
        task = None
    if task is None or task.state != TaskState.STARTED or SERVICE_REQUEST not in task.internal_data:
        state = TaskState.get_name(task.state) if task is not None else "unknown"
        raise Conflict(
            f"Service task {task_id} is not waiting for an answer (it is {state})", task_id=task_id, state=state
        )
    return task


def complete_service_task(workflow, task_id: str, result: Any) -> None:
    """Put the answer in the result variable and complete the task (its post-script runs)."""
    task = _waiting_task(workflow, task_id)
    task.internal_data.pop(SERVICE_REQUEST)
    task.data[task.task_spec.result_variable] = result
    task.complete()


def fail_service_task(workflow, task_id: str, code: str, details: dict[str, Any]) -> None:
    """Throw a BPMN error with ``code`` from the task: an error boundary event on it (with
    this code, or with none) takes over and gets ``details`` in its error's variable."""
    task = _waiting_task(workflow, task_id)
    event = BpmnEvent(ErrorEventDefinition("service_failure", code=code), payload=details, target=task.workflow)
    top = task.workflow.top_workflow
    # The boundary event cancels the task only when it runs; whether one will is known now.
    if not any(waiting.task_spec.catches(waiting, event) for waiting in list(top.event_manager.tasks.values())):
        raise ProcedureFailed(
            f"Service task '{task.task_spec.bpmn_id}' failed ({code}) and no error boundary event catches it",
            element_id=task.task_spec.bpmn_id,
            error_type=code,
        )
    task.internal_data.pop(SERVICE_REQUEST)
    top.catch(event)
