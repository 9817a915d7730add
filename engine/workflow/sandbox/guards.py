"""Run-time guards: the builtins and hooks compiled scripts call, the time limit, and the check
that task data stays JSON."""

from __future__ import annotations

import builtins
import operator
import resource
import sys
import time
from typing import Any, Callable

from RestrictedPython import PrintCollector, safe_builtins
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr_raise,
)

from engine.workflow.sandbox import sizes
from engine.workflow.sandbox.errors import (
    MAX_RANGE_LENGTH,
    SCRIPT_FILENAME,
    ScriptDataError,
    ScriptNotAllowed,
    ScriptTimeout,
    ScriptTooLarge,
)


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
    guarded = sizes.sized_method(obj, name)  # text methods that pad or repeat check sizes first
    if guarded is not None:
        return guarded
    # safer_getattr_raise adds RestrictedPython's other checks (frame/code attributes ...).
    return safer_getattr_raise(obj, name, *default)


def _getitem(obj: Any, key: Any) -> Any:
    return obj[key]


def _apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    # RestrictedPython routes calls using *args / **kwargs through this hook.
    return function(*args, **kwargs)


_INPLACE_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    # The operators that can grow a value go through the same size checks as ``a + b``.
    "+=": sizes.guarded_iadd,
    "-=": operator.isub,
    "*=": sizes.guarded_imul,
    "/=": operator.itruediv,
    "%=": sizes.guarded_mod,
    "**=": sizes.guarded_pow,
    "<<=": sizes.guarded_lshift,
    ">>=": operator.irshift,
    "|=": operator.ior,
    "^=": operator.ixor,
    "&=": operator.iand,
    "//=": operator.ifloordiv,
    "@=": operator.imatmul,
}


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    # ``x += 1`` is compiled to ``x = _inplacevar_('+=', x, 1)``.
    return _INPLACE_OPERATORS[op](target, value)


def _augmented_item(obj: Any, key: Any, op: str, value: Any) -> None:
    # ``d[k] += v`` is compiled to this by ScriptPolicy.visit_AugAssign.
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
    for name in (
        "__build_class__",
        "setattr",
        "delattr",
        "BaseException",
        "SystemExit",
        "KeyboardInterrupt",
        "GeneratorExit",
    ):
        allowed.pop(name, None)
    for name in (
        "min",
        "max",
        "sum",
        "sorted",
        "enumerate",
        "zip",
        "dict",
        "list",
        "set",
        "frozenset",
        "tuple",
        "any",
        "all",
        "map",
        "filter",
        "reversed",
        "next",
    ):
        allowed[name] = getattr(builtins, name)
    allowed["range"] = _limited_range
    allowed["getattr"] = _guarded_getattr
    allowed["pow"] = sizes.guarded_pow
    allowed["sum"] = sizes.guarded_sum
    return allowed


SAFE_BUILTINS: dict[str, Any] = _build_builtins()

# The hooks RestrictedPython-compiled code calls (plus our _augitem_). They live in the script's
# globals, as RestrictedPython expects, and are removed from task data after each script.
GUARDS: dict[str, Any] = {
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
    # The operators ScriptPolicy rewrites into size-checked calls, and f-string fields with a
    # format specification.
    **{name: sizes.BINARY_OPERATORS[symbol] for symbol, name in sizes.GUARD_NAMES.items()},
    sizes.FORMAT_GUARD_NAME: sizes.guarded_format,
}


# ---------------------------------------------------------------------------------------------
# Time limit
# ---------------------------------------------------------------------------------------------


def _thread_cpu_by_rusage() -> float:
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime + usage.ru_stime


# The CPU time this thread has used, in seconds. On Linux read with getrusage: time.thread_time
# (clock_gettime of the thread's CPU clock) was measured at about 1 ms a call on some kernels
# once the thread had been running (a sandboxed kernel under load), against a few microseconds
# for getrusage; it is read at the start of every script and at every call inside one.
thread_cpu_seconds: Callable[[], float] = (
    _thread_cpu_by_rusage if hasattr(resource, "RUSAGE_THREAD") else time.thread_time
)


class TimeLimit:
    """Context manager: stop script code that has used more than its time in CPU.

    The limit counts this thread's CPU time (``thread_cpu_seconds``), not the clock on the wall: a
    runaway loop burns CPU and is stopped, while a short script on a busy machine (descheduled, or
    waiting for the GIL) is never stopped for time it did not use.

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

    def __enter__(self) -> TimeLimit:
        if self.seconds is not None:
            self.deadline = thread_cpu_seconds() + self.seconds
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

    def check(self) -> bool:
        """Raise ScriptTimeout once the deadline has passed; else True (compiled code uses the
        check as an extra condition of comprehensions).

        Called by the trace functions and by the script itself: at the top of every loop body,
        function body and except/finally block (see ScriptPolicy), so it also fires after
        CPython has switched tracing off (it does when a trace function raises: an earlier
        ScriptTimeout the script caught, or a RecursionError of a deep recursion). Such a call
        also puts the trace function back on the script's frames."""
        if self.seconds is None:
            return True
        if self.expired or thread_cpu_seconds() > self.deadline:
            self.expired = True
            raise ScriptTimeout(self.seconds)
        if sys.gettrace() != self._on_call:
            self._rearm(sys._getframe(1))
        return True

    def _rearm(self, frame: Any) -> None:
        sys.settrace(self._on_call)
        while frame is not None:
            if frame.f_code.co_filename == SCRIPT_FILENAME:
                frame.f_trace = self._on_line
            frame = frame.f_back


# ---------------------------------------------------------------------------------------------
# Task data must stay JSON-like
# ---------------------------------------------------------------------------------------------


class _Budget:
    """How many values the check of task data may still walk: it stops a script's data that
    would take minutes of CPU to check and store (``[[0] * 999999] * 999999`` is one list that
    names one row a million times: 10**12 values to walk, and as many to write)."""

    def __init__(self) -> None:
        self.left = sizes.MAX_STORED_VALUES

    def spend(self, count: int, path: str) -> None:
        self.left -= count
        if self.left < 0:
            raise ScriptTooLarge(
                f"the task data would hold more than {sizes.MAX_STORED_VALUES:,} values (at {path}); "
                "a case keeps only what it needs"
            )


def _json_problem(value: Any, path: str, budget: _Budget, depth: int = 0) -> str | None:
    """Describe the first value under ``path`` that json cannot store faithfully, or None.
    Raises ScriptTooLarge for data too large or too deeply nested to store."""
    if value is None or isinstance(value, (str, bool, int, float)):
        budget.spend(1, path)
        return None
    if depth >= sizes.MAX_STORED_DEPTH:
        raise ScriptTooLarge(f"{path} is nested more than {sizes.MAX_STORED_DEPTH} levels deep")
    if isinstance(value, (list, tuple)):
        budget.spend(len(value) + 1, path)
        for index, item in enumerate(value):
            problem = _json_problem(item, f"{path}[{index}]", budget, depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        budget.spend(len(value) + 1, path)
        for key, item in value.items():
            if not isinstance(key, str):
                # json.dumps would silently turn 1 into "1"; the script would then miss its key.
                return f"{path} has the key {key!r}; keys of stored dictionaries must be text"
            problem = _json_problem(item, f"{path}[{key!r}]", budget, depth + 1)
            if problem:
                return problem
        return None
    hint = " (use .isoformat() to store it as text)" if hasattr(value, "isoformat") else ""
    return f"{path} holds a {type(value).__name__}, which is not JSON{hint}"


def check_storable(context: dict[str, Any]) -> None:
    budget = _Budget()
    for key, value in context.items():
        problem = _json_problem(value, f"variable {key!r}", budget)
        if problem:
            raise ScriptDataError(problem)
