"""Sandboxed execution of the Python found in BPMN: scripts, conditions, timer and parameter expressions.

SpiffWorkflow's default ``TaskDataEnvironment`` runs BPMN scripts with plain ``exec``/``eval`` and
full builtins: any script could ``import os`` or walk ``().__class__.__base__.__subclasses__()`` and
could loop forever. Process definitions are uploaded by process designers, not by developers, so
this module puts four layers between a script and the server:

1. **Compile-time refusal** (``RestrictedPython`` plus our own policy ``_ScriptPolicy``): names and
   attributes starting with ``_`` (so every dunder), ``import``, ``class``, ``exec``/``eval`` are
   rejected before anything runs. Attribute, item and iteration access is rewritten into calls of
   guard functions (``_getattr_``, ``_getitem_`` ...).
2. **Restricted builtins**: a short list of harmless functions (``len``, ``sorted``, ``dict`` ...);
   no ``open``, ``__import__``, ``compile``, ``type``, ``vars``. The only other callables are the
   functions the domain pack registered in :class:`engine.registries.ScriptFunctions`.
3. **A wall-clock limit** per script/expression, enforced with ``sys.settrace`` (works in any
   thread, unlike signals) and raising :class:`ScriptTimeout`.
4. **JSON-like task data**: after a script ran, its variables must be storable as JSON.

Known limits (the process-level guards of the worker are the backstop for these): the time limit
is checked between Python lines, so one long-running C call (``2 ** 10**9``, ``'x' * 10**10``)
cannot be interrupted; ``range()`` is capped to make the most common case harmless. Registered
functions are trusted host code: they are neither restricted nor line-traced.

Public API: :class:`SandboxedScriptEngine` (what a ``BpmnWorkflow`` gets), the environment it
uses (:class:`SandboxedEnvironment`), :func:`check_script_syntax` (deploy-time validation),
:func:`describe_task`, and the exceptions :class:`ScriptTimeout`, :class:`ScriptNotAllowed`,
:class:`ScriptDataError` (the engine wraps them in ``WorkflowTaskException``).
"""
from __future__ import annotations

import ast
import builtins
import functools
import json
import logging
import operator
import sys
import textwrap
import time
import traceback
from types import CodeType
from typing import Any, Callable, NamedTuple

from RestrictedPython import PrintCollector, compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr_raise,
)
from RestrictedPython.transformer import IOPERATOR_TO_STR, RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from engine.registries import ScriptFunctions

log = logging.getLogger(__name__)

# Every code object compiled here carries this file name. The time limit uses it to tell script
# frames (traced line by line) from host frames (not traced), and error reports use it to find the
# script's line in a traceback. The angle brackets keep it from clashing with a real file.
SCRIPT_FILENAME = "<bpmn script>"

# ``range()`` builds no list, but ``sum(range(10**12))`` runs in C where the time limit cannot
# reach it. No legitimate case-handling script needs more numbers than this.
MAX_RANGE_LENGTH = 1_000_000

# Name of the per-run function that _ScriptPolicy calls at the start of every ``while`` body and
# every ``except`` and ``finally`` block (see _TimeLimit.check). Scripts cannot name it (leading "_").
_TIME_CHECK_NAME = "_check_time_limit_"


class ScriptTimeout(Exception):
    """A script or expression ran longer than its wall-clock limit and was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"ran longer than {seconds:g} s and was stopped")
        self.seconds = seconds


class ScriptNotAllowed(Exception):
    """A script or expression tried something the sandbox refuses (at compile or at run time)."""

    def __init__(self, message: str, *, line_number: int | None = None) -> None:
        super().__init__(message)
        # Set only for compile-time refusals; their message already names every offending line.
        self.line_number = line_number


class ScriptDataError(Exception):
    """A script left a value in task data that cannot be stored as JSON."""


# ---------------------------------------------------------------------------------------------
# Compilation
# ---------------------------------------------------------------------------------------------

class _ScriptPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, tightened and extended for BPMN scripts.

    RestrictedPython alone still accepts ``import`` (it relies on a guarded ``__import__`` at run
    time) and ``class``; we refuse both at compile time so deploy-time validation reports them.
    """

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, "import statements are not allowed")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        self.error(node, "import statements are not allowed")
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        # Class bodies need __build_class__/__metaclass__ and are never needed in a script.
        self.error(node, "class definitions are not allowed")
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        # CPython 3.11 emits no trace event at all for a loop that compiles to a single jump onto
        # itself (``while True: pass``, ``while 1: ...``), so the trace function never sees it.
        # An explicit time check at the top of every while body closes that gap.
        node = super().visit_While(node)
        node.body.insert(0, self._time_check(node.body[0]))
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        # The time limit stops a script by raising ScriptTimeout from the trace function, and
        # CPython switches tracing off when a trace function raises. A script that catches the
        # exception (``except Exception:``, bare ``except:``) would then run on unwatched. So
        # every handler starts by re-raising if the time limit has already expired.
        node = super().visit_ExceptHandler(node)
        node.body.insert(0, self._time_check(node))
        return node

    def visit_Try(self, node: ast.Try) -> ast.AST:
        # Same reason: ``finally: continue`` / ``finally: return`` would swallow ScriptTimeout.
        node = super().visit_Try(node)
        if node.finalbody:
            node.finalbody.insert(0, self._time_check(node.finalbody[0]))
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        # RestrictedPython refuses ``data['count'] += 1``; scripts over task data use it often.
        # Rewrite it to ``_augitem_(data, 'count', '+=', 1)``, which reads and writes through the
        # same guards as ``data['count'] = data['count'] + 1``. Slices keep being refused.
        target = node.target
        if isinstance(target, ast.Subscript) and not any(
            isinstance(n, ast.Slice) for n in ast.walk(target.slice)
        ):
            call = ast.Call(
                func=ast.Name("_augitem_", ast.Load()),
                args=[
                    self.visit(target.value),
                    self.visit(target.slice),
                    ast.Constant(IOPERATOR_TO_STR[type(node.op)]),
                    self.visit(node.value),
                ],
                keywords=[],
            )
            statement = ast.Expr(call)
            copy_locations(statement, node)
            return ast.fix_missing_locations(statement)
        return super().visit_AugAssign(node)

    @staticmethod
    def _time_check(location: ast.AST) -> ast.stmt:
        statement = ast.Expr(ast.Call(func=ast.Name(_TIME_CHECK_NAME, ast.Load()), args=[], keywords=[]))
        copy_locations(statement, location)
        return ast.fix_missing_locations(statement)


class _Compiled(NamedTuple):
    code: CodeType | None
    errors: tuple[str, ...]  # plain-words messages, each "line N: ..."
    is_syntax_error: bool
    first_error_line: int | None
    text: str  # the normalised source the line numbers refer to


_TOO_DEEP = "the code is nested too deeply"


def _normalise(source: str | None, mode: str) -> str:
    # BPMN editors and hand-written XML often indent the element text. Plain eval/exec refuse
    # an indented first line; stripping/dedenting only turns such errors into successes.
    source = source or ""
    return source.strip() if mode == "eval" else textwrap.dedent(source)


def _plain_restricted_error(message: str) -> tuple[int | None, str]:
    """RestrictedPython reports 'Line 3: "_x" is an invalid ...'; split off the line number."""
    line_number = None
    if message.startswith("Line "):
        head, _, rest = message.partition(": ")
        try:
            line_number = int(head[len("Line "):])
        except ValueError:
            pass
        else:
            message = rest
    return line_number, message.rstrip(".")


@functools.lru_cache(maxsize=4096)
def _compile(source: str | None, mode: str) -> _Compiled:
    """Compile (and cache, by exact source text) one script or expression.

    The same few hundred scripts and conditions run for thousands of cases; RestrictedPython's
    AST pass costs far more than running a typical script, so caching matters. Refusals are cached
    too, so a broken condition does not get re-analysed for every case.
    """
    if mode not in ("exec", "eval"):
        raise ValueError(f"mode must be 'exec' or 'eval', not {mode!r}")
    text = _normalise(source, mode)
    # Parse ourselves first: RestrictedPython folds syntax errors into a string, we want the parts.
    try:
        tree = ast.parse(text, SCRIPT_FILENAME, mode)
    except SyntaxError as err:
        return _Compiled(None, (f"line {err.lineno}: {err.msg}",), True, err.lineno, text)
    except ValueError as err:  # e.g. a NUL byte in the source
        return _Compiled(None, (str(err),), True, None, text)
    except (RecursionError, MemoryError):  # the parser's own stack limit
        return _Compiled(None, (_TOO_DEEP,), True, None, text)

    # compile_restricted_exec/eval are the same compiler as compile_restricted but return the
    # errors as a list instead of raising SyntaxError(<tuple repr>).
    compile_fn = compile_restricted_exec if mode == "exec" else compile_restricted_eval
    try:
        result = compile_fn(tree, filename=SCRIPT_FILENAME, policy=_ScriptPolicy)
    except (RecursionError, MemoryError):  # RestrictedPython's AST walk and compile() recurse
        return _Compiled(None, (_TOO_DEEP,), True, None, text)
    if result.errors:
        parsed = [_plain_restricted_error(e) for e in result.errors]
        errors = tuple(f"line {n}: {m}" if n is not None else m for n, m in parsed)
        first_line = next((n for n, _ in parsed if n is not None), None)
        return _Compiled(None, errors, False, first_line, text)
    return _Compiled(result.code, (), False, None, text)


def _compiled_or_raise(source: str | None, mode: str) -> _Compiled:
    compiled = _compile(source, mode)
    if compiled.code is None:
        if compiled.is_syntax_error:
            error = SyntaxError("; ".join(compiled.errors))
            error.lineno = compiled.first_error_line
            raise error
        raise ScriptNotAllowed("; ".join(compiled.errors), line_number=compiled.first_error_line)
    return compiled


def check_script_syntax(source: str, mode: str) -> str | None:
    """Deploy-time check: would this script ('exec') or expression ('eval') be accepted at run time?

    Returns None when it compiles under the sandbox's rules, else a message in plain words with the
    line number, e.g. "Not allowed: line 1: import statements are not allowed".
    """
    compiled = _compile(source, mode)
    if compiled.code is not None:
        return None
    prefix = "Syntax error" if compiled.is_syntax_error else "Not allowed"
    return f"{prefix}: {'; '.join(compiled.errors)}"


# ---------------------------------------------------------------------------------------------
# Run-time guards and builtins
# ---------------------------------------------------------------------------------------------

def _guarded_getattr(obj: Any, name: str, *default: Any) -> Any:
    """``obj.name`` and ``getattr(obj, name[, default])`` inside scripts.

    The compiler already refuses literal ``obj._x``; this catches names built at run time, e.g.
    ``getattr(x, '__cl' + 'ass__')``. It raises on a missing attribute: RestrictedPython's
    ``safer_getattr`` silently returns None instead, which would hide typos in scripts.
    """
    if not isinstance(name, str):
        raise TypeError("attribute name must be a string")
    if name.startswith("_"):
        raise ScriptNotAllowed(f"access to attribute {name!r} is not allowed (it starts with '_')")
    if name in ("format", "format_map") and (isinstance(obj, str) or obj is str):
        # str.format can reach attributes of its arguments ("{0.__class__}"); f-strings cannot.
        raise ScriptNotAllowed("str.format() is not allowed; use an f-string instead")
    # safer_getattr_raise adds RestrictedPython's other checks (frame/code attributes ...).
    return safer_getattr_raise(obj, name, *default)


def _getitem(obj: Any, key: Any) -> Any:
    return obj[key]


def _apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    # RestrictedPython routes calls using *args / **kwargs through this hook.
    return function(*args, **kwargs)


_INPLACE_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift, ">>=": operator.irshift,
    "|=": operator.ior, "^=": operator.ixor, "&=": operator.iand, "//=": operator.ifloordiv,
    "@=": operator.imatmul,
}


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    # ``x += 1`` is compiled to ``x = _inplacevar_('+=', x, 1)``.
    return _INPLACE_OPERATORS[op](target, value)


def _augmented_item(obj: Any, key: Any, op: str, value: Any) -> None:
    # ``d[k] += v`` is compiled to this by _ScriptPolicy.visit_AugAssign.
    full_write_guard(obj)[key] = _inplacevar(op, _getitem(obj, key), value)


def _limited_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE_LENGTH:
        raise ScriptNotAllowed(f"range() in scripts is limited to {MAX_RANGE_LENGTH:,} numbers")
    return numbers


def _build_builtins() -> dict[str, Any]:
    allowed = dict(safe_builtins)
    # Dropped from RestrictedPython's list: class building (we refuse classes), attribute writers
    # nobody needs, and exceptions that would stop a worker thread rather than fail the task.
    for name in ("__build_class__", "setattr", "delattr", "BaseException", "SystemExit",
                 "KeyboardInterrupt", "GeneratorExit"):
        allowed.pop(name, None)
    for name in ("min", "max", "sum", "sorted", "enumerate", "zip", "dict", "list", "set",
                 "frozenset", "tuple", "any", "all", "map", "filter", "reversed", "next"):
        allowed[name] = getattr(builtins, name)
    allowed["range"] = _limited_range
    allowed["getattr"] = _guarded_getattr
    return allowed


SAFE_BUILTINS: dict[str, Any] = _build_builtins()

# The hooks RestrictedPython-compiled code calls (plus our _augitem_). They live in the script's
# globals, as RestrictedPython expects, and are removed from task data after each script.
_GUARDS: dict[str, Any] = {
    "_getattr_": _guarded_getattr,
    "_getitem_": _getitem,
    "_getiter_": iter,
    "_write_": full_write_guard,  # lets scripts write into dicts and lists only
    "_inplacevar_": _inplacevar,
    "_augitem_": _augmented_item,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_apply_": _apply,
    "_print_": PrintCollector,  # print() output is collected and logged, never written anywhere
}


# ---------------------------------------------------------------------------------------------
# Time limit
# ---------------------------------------------------------------------------------------------

class _TimeLimit:
    """Context manager: stop script code that runs past a wall-clock deadline.

    Uses ``sys.settrace``, which applies to the calling thread only, so it works in Flask request
    threads and workers alike (signals work only in the main thread). Only frames of sandboxed code
    are traced line by line; host frames (registered functions) are not traced at all, so the
    overhead is one cheap call per executed script line, and a timeout is never raised inside host
    code (which might swallow it).
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.deadline = 0.0
        self.expired = False
        self._previous_trace: Any = None

    def __enter__(self) -> _TimeLimit:
        if self.seconds is not None:
            self.deadline = time.monotonic() + self.seconds
            self._previous_trace = sys.gettrace()
            sys.settrace(self._on_call)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self.seconds is not None:
            # Give the thread its previous tracer back (coverage, debugger), also after CPython
            # dropped ours because it raised.
            sys.settrace(self._previous_trace)
        if exc_type is None and self.expired:
            # The deadline passed but the exception got swallowed (e.g. by a registered function);
            # the script must still count as stopped.
            raise ScriptTimeout(self.seconds)

    def _on_call(self, frame: Any, event: str, arg: Any) -> Any:
        # Global trace function: called when any Python frame starts in this thread.
        if frame.f_code.co_filename != SCRIPT_FILENAME:
            return None  # host code: do not trace its lines
        self.check()
        return self._on_line

    def _on_line(self, frame: Any, event: str, arg: Any) -> Any:
        # Local trace function of script frames. "line" also fires on each loop iteration.
        if event == "line":
            self.check()
        return self._on_line

    def check(self) -> None:
        """Raise ScriptTimeout once the deadline has passed.

        Called by the trace functions and by the script itself: at the top of every while body
        and of every except/finally block (see _ScriptPolicy), so it also fires after an earlier
        ScriptTimeout was caught and CPython has switched tracing off."""
        if self.seconds is not None and (self.expired or time.monotonic() > self.deadline):
            self.expired = True
            raise ScriptTimeout(self.seconds)


# ---------------------------------------------------------------------------------------------
# Task data must stay JSON-like
# ---------------------------------------------------------------------------------------------

def _json_problem(value: Any, path: str) -> str | None:
    """Describe the first value under ``path`` that json cannot store faithfully, or None."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            problem = _json_problem(item, f"{path}[{index}]")
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                # json.dumps would silently turn 1 into "1"; the script would then miss its key.
                return f"{path} has the key {key!r}; keys of stored dictionaries must be text"
            problem = _json_problem(item, f"{path}[{key!r}]")
            if problem:
                return problem
        return None
    hint = " (use .isoformat() to store it as text)" if hasattr(value, "isoformat") else ""
    return f"{path} holds a {type(value).__name__}, which is not JSON{hint}"


def _check_storable(context: dict[str, Any]) -> None:
    for key, value in context.items():
        problem = _json_problem(value, f"variable {key!r}")
        if problem:
            raise ScriptDataError(problem)


# ---------------------------------------------------------------------------------------------
# Environment and engine
# ---------------------------------------------------------------------------------------------

class SandboxedEnvironment(TaskDataEnvironment):
    """A SpiffWorkflow script environment that runs everything through the sandbox.

    Data semantics are those of ``TaskDataEnvironment``: a script runs with the task data dict as
    its globals, so its assignments land in task data; afterwards functions, guards and builtins
    are removed again (``_remove_globals_and_functions_from_context``). Registered functions are
    taken from ``functions`` when the environment is created: register them before that.
    """

    def __init__(self, functions: ScriptFunctions | None = None, *,
                 timeout_seconds: float | None = 1.0) -> None:
        if timeout_seconds is not None and timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive (or None for no limit)")
        self.functions = functions.as_dict() if functions is not None else {}
        self.timeout_seconds = timeout_seconds
        # self.globals is what the base class checks for clashes with task data and strips out
        # of task data after a script: the registered functions and the guards.
        super().__init__({**self.functions, **_GUARDS})

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        compiled = _compiled_or_raise(expression, "eval")
        # A fresh scope per evaluation (as in the base class) so nothing leaks between calls.
        # The guards and builtins go last: task data must never be able to replace them.
        scope = {**self.globals, **(external_context or {}), **context, **_GUARDS,
                 "__builtins__": SAFE_BUILTINS}
        limit = _TimeLimit(self.timeout_seconds)
        scope[_TIME_CHECK_NAME] = limit.check
        with limit:
            return eval(compiled.code, scope)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        compiled = _compiled_or_raise(script, "exec")
        external_context = external_context or {}
        # Refuse task data whose keys would hide a registered function or a guard.
        self.check_for_overwrite(context, external_context)
        limit = _TimeLimit(self.timeout_seconds)
        context.update(self.globals)
        context.update(external_context)
        # Without an explicit __builtins__ exec() would add the real builtins module.
        context["__builtins__"] = SAFE_BUILTINS
        context[_TIME_CHECK_NAME] = limit.check
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
        _check_storable(context)
        return True


def describe_task(task: Any) -> str:
    """"task 'compute' (Compute)": the BPMN id a designer can search for, plus its label."""
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


# Scripts cannot name or reach these (they are not in SAFE_BUILTINS and ``__subclasses__`` is
# refused), so when one arrives it is a real interrupt or shutdown and must not become a task error.
_REAL_INTERRUPTS = (KeyboardInterrupt, SystemExit, GeneratorExit)


class SandboxedScriptEngine(PythonScriptEngine):
    """The script engine onestop hands to every ``BpmnWorkflow``.

    Runs scripts and expressions in :class:`SandboxedEnvironment`, turns every failure into a
    ``WorkflowTaskException`` that names the task in words a process designer can act on, and
    calls service tasks through ``service_gateway`` (an object with
    ``call(task, operation_name, operation_params) -> JSON-able result``).

    The engine is not serialized with a workflow: re-attach it after loading one.
    """

    def __init__(self, functions: ScriptFunctions | None = None, *, timeout_seconds: float = 1.0,
                 service_gateway: Any = None, asynchronous: Callable[[str], bool] | None = None) -> None:
        super().__init__(environment=SandboxedEnvironment(functions, timeout_seconds=timeout_seconds))
        self.service_gateway = service_gateway
        self._asynchronous = asynchronous

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
        except _REAL_INTERRUPTS:
            raise
        except BaseException as err:  # a script can reach BaseException via ValueError.mro()
            raise self._task_exception(task, f"Expression '{short}'", expression, "eval", err) from err

    def execute(self, task: Any, script: str, external_context: dict | None = None) -> bool:
        try:
            return self.environment.execute(script, task.data, external_context)
        except WorkflowTaskException as err:
            err.add_note(f"Raised in the script of {describe_task(task)}")
            raise
        except _REAL_INTERRUPTS:
            raise
        except BaseException as err:  # a script can reach BaseException via ValueError.mro()
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
                f"{where} calls operation '{operation_name}', but no service gateway is configured",
                task=task)
        try:
            result = self.service_gateway.call(task, operation_name, operation_params)
        except Exception as err:
            raise WorkflowTaskException(
                f"{where} failed calling operation '{operation_name}': {type(err).__name__}: {err}",
                task=task, exception=err) from err
        try:
            # The library's ServiceTask json.loads this into the result variable.
            return json.dumps(result)
        except (TypeError, ValueError) as err:
            raise WorkflowTaskException(
                f"{where}: operation '{operation_name}' returned a result that is not JSON: {err}",
                task=task, exception=err) from err

    @staticmethod
    def _task_exception(task: Any, what: str, source: str, mode: str,
                        err: BaseException) -> WorkflowTaskException:
        """Build the designer-facing error; ``what`` is "Script" or "Expression '...'"."""
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
        else:
            message = f"{where} failed{at_line}: {type(err).__name__}: {err}"
        error_line = None
        if line:
            lines = _normalise(source, mode).splitlines()
            if 0 < line <= len(lines):
                error_line = lines[line - 1]
        return WorkflowTaskException(message, task=task, exception=err, line_number=line,
                                     error_line=error_line)
