"""Errors the engine raises for its callers; api/ turns each kind into an HTTP problem."""

from __future__ import annotations

import threading
from typing import Any


class EngineError(Exception):
    """Base class. ``kind`` is a stable machine-readable name; ``details`` is JSON-able."""

    kind = "engine-error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(EngineError):
    kind = "not-found"


class Conflict(EngineError):
    """The command lost a race or no longer applies (task already completed, case closed...)."""

    kind = "conflict"


class NotAllowed(EngineError):
    """The actor may not do this (e.g. work a task outside their lanes)."""

    kind = "forbidden"


class InvalidInput(EngineError):
    """The command's input is wrong. ``details['errors']`` lists ``{field, message}``."""

    kind = "invalid-input"


class DefinitionInvalid(EngineError):
    """A deploy was refused. ``details['findings']`` lists the validation findings."""

    kind = "definition-invalid"


class ProcedureFailed(EngineError):
    """The BPMN itself failed while running (script error, no matching gateway branch...).

    The command is rolled back; ``details`` names the BPMN element so a designer can fix it.
    """

    kind = "procedure-failed"


class TooLarge(InvalidInput):
    """The input is larger than allowed (a file over the size limit)."""

    kind = "payload-too-large"


class TooManyRequests(EngineError):
    """Asked too often; ``details['retry_after']`` says in how many seconds to try again."""

    kind = "too-many-requests"


def real_interrupt(error: BaseException) -> bool:
    """A Ctrl-C or an exit request for the process: it arrives in the main thread. (A script's
    own KeyboardInterrupt or SystemExit is its task's failure, wrapped by the sandbox long
    before it could get anywhere; the engine's commands run in request and worker threads.)"""
    return isinstance(error, (KeyboardInterrupt, SystemExit)) and threading.current_thread() is threading.main_thread()
