"""The SpiffWorkflow script environment and script engine that run everything in the sandbox."""

from __future__ import annotations

import builtins
import json
import logging
import traceback
from typing import Any, Callable

from RestrictedPython import PrintCollector
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from engine.registries import ScriptFunctions
from engine.workflow.sandbox.compiler import compiled_or_raise, normalise
from engine.workflow.sandbox.errors import (
    SCRIPT_FILENAME,
    TIME_CHECK_NAME,
    ScriptDataError,
    ScriptNotAllowed,
    ScriptTimeout,
    ScriptTooLarge,
)
from engine.workflow.sandbox.guards import GUARDS, SAFE_BUILTINS, TimeLimit, check_storable

log = logging.getLogger("engine.workflow.sandbox")


class SandboxedEnvironment(TaskDataEnvironment):
    """A SpiffWorkflow script environment that runs everything through the sandbox.

    Data semantics are those of ``TaskDataEnvironment``: a script runs with the task data dict as
    its globals, so its assignments land in task data; afterwards functions, guards and builtins
    are removed again (``_remove_globals_and_functions_from_context``). Registered functions are
    taken from ``functions`` when the environment is created: register them before that.
    """

    def __init__(self, functions: ScriptFunctions | None = None, *, timeout_seconds: float | None = 1.0) -> None:
        if timeout_seconds is not None and timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive (or None for no limit)")
        self.functions = functions.as_dict() if functions is not None else {}
        self.timeout_seconds = timeout_seconds
        # self.globals is what the base class checks for clashes with task data and strips out
        # of task data after a script: the registered functions and the guards.
        super().__init__({**self.functions, **GUARDS})

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        compiled = compiled_or_raise(expression, "eval")
        # A fresh scope per evaluation (as in the base class) so nothing leaks between calls.
        # The guards and builtins go last: task data must never be able to replace them.
        scope = {**self.globals, **(external_context or {}), **context, **GUARDS, "__builtins__": SAFE_BUILTINS}
        limit = TimeLimit(self.timeout_seconds)
        scope[TIME_CHECK_NAME] = limit.check
        with limit:
            return eval(compiled.code, scope)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        compiled = compiled_or_raise(script, "exec")
        external_context = external_context or {}
        # Refuse task data whose keys would hide a registered function or a guard.
        self.check_for_overwrite(context, external_context)
        limit = TimeLimit(self.timeout_seconds)
        context.update(self.globals)
        context.update(external_context)
        # Without an explicit __builtins__ exec() would add the real builtins module.
        context["__builtins__"] = SAFE_BUILTINS
        context[TIME_CHECK_NAME] = limit.check
        try:
            with limit:
                exec(compiled.code, context)
        finally:
            printed = context.get("_print")
            if isinstance(printed, PrintCollector) and printed.txt:
                log.debug("print output of BPMN script: %s", printed())
            # Removes __builtins__, self.globals and every callable (our time check, _print, any
            # function the script defined).
            self._remove_globals_and_functions_from_context(context, external_context)
        check_storable(context)
        return True


def describe_task(task: Any) -> str:
    """ "task 'compute' (Compute)": the BPMN id a designer can search for, plus its label."""
    spec = task.task_spec
    bpmn_id = getattr(spec, "bpmn_id", None) or spec.name
    bpmn_name = getattr(spec, "bpmn_name", None)
    if bpmn_name and bpmn_name != bpmn_id:
        return f"task '{bpmn_id}' ({bpmn_name})"
    return f"task '{bpmn_id}'"


def _script_line(err: BaseException) -> int | None:
    """The line of the sandboxed code where ``err`` happened, if it happened there."""
    if isinstance(err, SyntaxError):
        return err.lineno
    if getattr(err, "line_number", None):
        return err.line_number
    line = None
    for frame in traceback.extract_tb(err.__traceback__):
        if frame.filename == SCRIPT_FILENAME:
            line = frame.lineno  # keep the innermost one
    return line


class SandboxedScriptEngine(PythonScriptEngine):
    """The script engine onestop hands to every ``BpmnWorkflow``.

    Runs scripts and expressions in :class:`SandboxedEnvironment`, turns every failure into a
    ``WorkflowTaskException`` that names the task in words a process designer can act on, and
    calls service tasks through ``service_gateway`` (an object with
    ``call(task, operation_name, operation_params) -> JSON-able result``).

    The engine is not serialized with a workflow: re-attach it after loading one.
    """

    def __init__(
        self,
        functions: ScriptFunctions | None = None,
        *,
        timeout_seconds: float = 1.0,
        service_gateway: Any = None,
        asynchronous: Callable[[str], bool] | None = None,
        step_limit: int | None = None,
    ) -> None:
        super().__init__(environment=SandboxedEnvironment(functions, timeout_seconds=timeout_seconds))
        self.service_gateway = service_gateway
        self._asynchronous = asynchronous
        # How many automatic steps (scripts, gateways, events) one run of the engine may take
        # before it is stopped as a loop without a wait state (engine.workflow.runtime.run_engine).
        self.step_limit = step_limit

    def is_asynchronous(self, operation_name: str) -> bool:
        """True when a worker performs this operation (the service task waits for it)."""
        return self._asynchronous is not None and self._asynchronous(operation_name)

    def evaluate(self, task: Any, expression: str, external_context: dict | None = None) -> Any:
        short = " ".join((expression or "").split())
        if len(short) > 60:
            short = short[:57] + "..."
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except WorkflowTaskException as err:
            # Raised by a registered function that already knows its task: keep it, add context.
            err.add_note(f"Raised in expression '{short}' of {describe_task(task)}")
            raise
        except BaseException as err:  # noqa: BLE001 - see _task_exception
            raise self._task_exception(task, f"Expression '{short}'", expression, "eval", err) from err

    def execute(self, task: Any, script: str, external_context: dict | None = None) -> bool:
        try:
            return self.environment.execute(script, task.data, external_context)
        except WorkflowTaskException as err:
            err.add_note(f"Raised in the script of {describe_task(task)}")
            raise
        except BaseException as err:  # noqa: BLE001 - see _task_exception
            raise self._task_exception(task, "Script", script, "exec", err) from err

    def call_service(self, task: Any, **kwargs: Any) -> str:
        """Call the operation of a service task; return its result as JSON text.

        Replaces ``PythonScriptEngine.call_service``, whose error path refers to an undefined name
        ``script`` and so reports ``NameError`` instead of the real failure.
        """
        operation_name = kwargs.get("operation_name")
        # As the library passes them: {name: {"value": <evaluated>, "type": <declared type>}}.
        operation_params = kwargs.get("operation_params") or {}
        where = f"Service {describe_task(task)}"
        if self.service_gateway is None:
            raise WorkflowTaskException(
                f"{where} calls operation '{operation_name}', but no service gateway is configured", task=task
            )
        try:
            result = self.service_gateway.call(task, operation_name, operation_params)
        except BaseException as err:  # noqa: BLE001 - a failing call fails its task, whatever it raised
            raise WorkflowTaskException(
                f"{where} failed calling operation '{operation_name}': {type(err).__name__}: {err}",
                task=task,
                exception=err,
            ) from err
        try:
            # The library's ServiceTask json.loads this into the result variable.
            return json.dumps(result)
        except (TypeError, ValueError) as err:
            raise WorkflowTaskException(
                f"{where}: operation '{operation_name}' returned a result that is not JSON: {err}",
                task=task,
                exception=err,
            ) from err

    @staticmethod
    def _task_exception(task: Any, what: str, source: str, mode: str, err: BaseException) -> WorkflowTaskException:
        """Build the designer-facing error; ``what`` is "Script" or "Expression '...'".

        Every exception a script raises fails its task, BaseException included: a script reaches
        BaseException through ``ValueError.mro()`` and can catch a generator's GeneratorExit and
        raise it again, so a GeneratorExit, SystemExit or KeyboardInterrupt coming out of a script
        is the script's doing and must not travel on into the worker that runs it. (A real
        interrupt arrives in the main thread; the engine's commands run in request and worker
        threads, and the command that was running fails cleanly, rolled back.)"""
        where = f"{what} in {describe_task(task)}"
        line = _script_line(err)
        at_line = f" on line {line}" if line else ""
        if isinstance(err, ScriptTimeout):
            message = f"{where} {err}{' (at line ' + str(line) + ')' if line else ''}"
        elif isinstance(err, SyntaxError):
            message = f"{where} has a syntax error: {err.msg}"
        elif isinstance(err, ScriptNotAllowed):
            detail = str(err) if err.line_number else (f"line {line}: {err}" if line else str(err))
            message = f"{where} is not allowed: {detail}"
        elif isinstance(err, NameError) and err.name is not None and hasattr(builtins, err.name):
            # e.g. open, compile, type, vars: real Python builtins the sandbox does not offer.
            prefix = f"line {line}: " if line else ""
            message = f"{where} is not allowed: {prefix}'{err.name}' is not available in scripts"
        elif isinstance(err, ScriptDataError):
            message = f"{where} left data that cannot be stored: {err}"
        elif isinstance(err, ScriptTooLarge):
            message = f"{where} was stopped{at_line}: {err}"
        elif isinstance(err, RecursionError):
            message = f"{where} was stopped{at_line}: it recursed too deeply"
        elif isinstance(err, MemoryError):
            message = f"{where} was stopped{at_line}: it ran out of memory"
        else:
            message = f"{where} failed{at_line}: {type(err).__name__}: {err}"
        error_line = None
        if line:
            lines = normalise(source, mode).splitlines()
            if 0 < line <= len(lines):
                error_line = lines[line - 1]
        return WorkflowTaskException(message, task=task, exception=err, line_number=line, error_line=error_line)
