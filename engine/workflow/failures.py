"""Failures of a diagram while the engine runs it: what they become (``ProcedureFailed`` naming
the element, with a ``reason`` that says what kind of failure it was), and the step limit that
stops a loop without a wait state."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.task import Task

from engine.errors import ProcedureFailed


def run_engine(workflow: BpmnWorkflow) -> None:
    """Run every automatic step; BPMN failures become ProcedureFailed naming the element.

    At most ``step_limit`` steps (the script engine's): a loop with no wait state in it (script
    -> gateway -> script) is stopped there, with an error naming the element it was about to run,
    instead of running until a worker's timeout kills it."""
    limit = getattr(workflow.script_engine, "step_limit", None)
    with diagram_failures():
        workflow.do_engine_steps(will_complete_task=_step_counter(limit))


class StepLimitExceeded(WorkflowTaskException):
    """A command ran more automatic steps than the step limit allows."""


# SpiffWorkflow walks its task tree at most 1000 levels deep (``TaskIterator.max_depth``): a case
# whose tree grows deeper (a loop runs a new task below the last each time) silently looks finished
# to it. A step that would go that deep is stopped like a runaway loop, before that can happen.
MAX_TASK_DEPTH = 950


def _step_counter(limit: int | None):
    steps, first_depth = 0, None

    def count(task: Task) -> None:
        nonlocal steps, first_depth
        steps += 1
        if limit is not None and steps > limit:
            raise StepLimitExceeded(
                f"The procedure ran {limit} automatic steps without reaching a wait state and was "
                f"stopped before {_element_words(task.task_spec)}: a loop without a user task, timer "
                "or message in it never ends",
                task=task,
            )
        if first_depth is None:
            first_depth = task.depth  # walks up to the root: once per run, then only when close
        if first_depth + steps > MAX_TASK_DEPTH and task.depth > MAX_TASK_DEPTH:
            raise StepLimitExceeded(
                f"The case went through more than {MAX_TASK_DEPTH} steps in a row and was stopped "
                f"before {_element_words(task.task_spec)}: the workflow engine cannot follow a case "
                "that deep (a loop that ran too often)",
                task=task,
            )

    return count


def _element_words(spec) -> str:
    bpmn_id = getattr(spec, "bpmn_id", None) or spec.name
    name = getattr(spec, "bpmn_name", None)
    return f"'{bpmn_id}' ({name})" if name and name != bpmn_id else f"'{bpmn_id}'"


log = logging.getLogger("onestop.engine")

# How a failure of the diagram is classified (ProcedureFailed's ``reason``, an incident's kind):
# a step that needed more time, memory, stack or size than a script may have; a loop stopped by
# the step limit; any other error of a script, condition, expression or of the diagram itself.
RESOURCE_LIMIT, STEP_LIMIT, PROCEDURE_ERROR = "resource_limit", "step_limit", "procedure_error"
_LIMIT_ERRORS = ("ScriptTimeout", "ScriptTooLarge", "RecursionError", "MemoryError")


def failure_reason(error: BaseException) -> str:
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, StepLimitExceeded):
            return STEP_LIMIT
        if type(error).__name__ in _LIMIT_ERRORS:
            return RESOURCE_LIMIT
        error = getattr(error, "exception", None) or error.__cause__
    return PROCEDURE_ERROR


# What SpiffWorkflow lets escape unwrapped when a diagram's data is wrong, e.g. a timer whose
# expression gives None fails inside the library with AttributeError.
_UNWRAPPED_FAILURES = (TypeError, ValueError, AttributeError, KeyError, IndexError)


@contextmanager
def diagram_failures():
    """Failures of the diagram become ProcedureFailed naming the element, never a crash."""
    try:
        yield
    except WorkflowException as error:
        raise _procedure_failed(error) from error
    except _UNWRAPPED_FAILURES as error:
        raise _unwrapped_failure(error) from error


def _unwrapped_failure(error: Exception) -> ProcedureFailed:
    """The library's frames hold the task they were working on: the innermost one names the
    element."""
    task, trace = None, error.__traceback__
    while trace is not None:
        for name in ("my_task", "task"):
            candidate = trace.tb_frame.f_locals.get(name)
            if isinstance(candidate, Task):
                task = candidate
        trace = trace.tb_next
    spec = task.task_spec if task is not None else None
    element_id = getattr(spec, "bpmn_id", None)
    log.warning("unwrapped failure inside SpiffWorkflow at %s", element_id, exc_info=error)
    return ProcedureFailed(
        f"The procedure failed at {element_id or 'an unknown element'}: a timer, script or condition "
        f"gave a value the step cannot use ({type(error).__name__}: {error})",
        element_id=element_id,
        element_name=getattr(spec, "bpmn_name", None),
        error_type=type(error).__name__,
        reason=PROCEDURE_ERROR,
    )


def _procedure_failed(error: WorkflowException) -> ProcedureFailed:
    task = getattr(error, "task", None)
    spec = getattr(error, "task_spec", None) or (task.task_spec if task is not None else None)
    element_id = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
    message = str(error)
    for note in getattr(error, "__notes__", []) or []:
        message += f" ({note})"
    return ProcedureFailed(
        f"The procedure failed at {element_id or 'an unknown element'}: {message}",
        element_id=element_id,
        element_name=getattr(spec, "bpmn_name", None),
        # The wrapped exception's type (ZeroDivisionError ...), which the library calls "unknown"
        # when the diagram itself failed (no path out of a gateway).
        error_type=error.error_type if getattr(error, "error_type", "unknown") != "unknown" else type(error).__name__,
        reason=failure_reason(error),
    )
