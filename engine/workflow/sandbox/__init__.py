"""Sandboxed execution of the Python found in BPMN: scripts, conditions, timer and parameter expressions.

SpiffWorkflow's default ``TaskDataEnvironment`` runs BPMN scripts with plain ``exec``/``eval`` and
full builtins: any script could ``import os`` or walk ``().__class__.__base__.__subclasses__()`` and
could loop forever. Process definitions are uploaded by process designers, not by developers, so
this module puts four layers between a script and the server:

1. **Compile-time refusal** (``RestrictedPython`` plus our own policy ``ScriptPolicy``): names and
   attributes starting with ``_`` (so every dunder), ``import``, ``class``, ``exec``/``eval`` are
   rejected before anything runs. Attribute, item and iteration access is rewritten into calls of
   guard functions (``_getattr_``, ``_getitem_`` ...).
2. **Restricted builtins**: a short list of harmless functions (``len``, ``sorted``, ``dict`` ...);
   no ``open``, ``__import__``, ``compile``, ``type``, ``vars``. The only other callables are the
   functions the domain pack registered in :class:`engine.registries.ScriptFunctions`.
3. **A time limit** per script/expression, in the thread's CPU time (a busy machine does not
   stop a short script), enforced with ``sys.settrace`` (works in any thread, unlike signals)
   and raising :class:`ScriptTimeout`.
4. **JSON-like task data**: after a script ran, its variables must be storable as JSON, and
   hold at most a million values nested at most 100 deep (``sizes.MAX_STORED_VALUES``).

Known limits (the process-level guards of the worker are the backstop for these): the time limit
is checked between Python lines, so one long-running C call cannot be interrupted. The size
guards (``sizes``) refuse the single operations that would build a huge value (``2 ** 10**9``,
``'x' * 10**10``, ``[row] * 10**6`` of a big row) and ``range()`` is capped, and the memory cap
(bootstrap.cap_memory) stops what allocates; but a script can still name one big list many
times in a loop and sort or compare the result in one C call, which holds its thread (and the
GIL) until the process is stopped from outside (gunicorn's worker timeout, Celery's hard time
limit on timer tasks). A timer firing so stopped is not run again: its committed mark becomes an
``interrupted`` incident at the next pickup (engine.storage.incidents.FiringAttempt). Registered
functions are trusted host code: they are neither restricted nor line-traced.

Public API: :class:`SandboxedScriptEngine` (what a ``BpmnWorkflow`` gets), the environment it
uses (:class:`SandboxedEnvironment`), :func:`check_script_syntax` (deploy-time validation),
:func:`describe_task`, and the exceptions :class:`ScriptTimeout`, :class:`ScriptNotAllowed`,
:class:`ScriptDataError` (the engine wraps them in ``WorkflowTaskException``).
"""

from engine.workflow.sandbox.compiler import check_script_syntax
from engine.workflow.sandbox.environment import SandboxedEnvironment, SandboxedScriptEngine, describe_task
from engine.workflow.sandbox.errors import ScriptDataError, ScriptNotAllowed, ScriptTimeout

__all__ = [
    "SandboxedEnvironment",
    "SandboxedScriptEngine",
    "ScriptDataError",
    "ScriptNotAllowed",
    "ScriptTimeout",
    "check_script_syntax",
    "describe_task",
]
