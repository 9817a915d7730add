"""SpiffWorkflow's state-change log, written only when someone listens.

``Task._set_state`` formats a message and collects its extras (the workflow's and the task
spec's names, the state's name, the parent...) on every state change of every task, and hands
them to ``logger.info`` or ``logger.debug`` even when the ``spiff.task`` logger drops them: a
sixth of the library's own time in a case's steps. ``install()`` replaces it with a method that
changes the task exactly as the library's does (the state, and ``last_state_change`` from the
module's ``time``, which engine.clock may have given the execution context's clock) and builds
the log record only when the logger is enabled for it. The ratios in bench/ compare with
SpiffWorkflow in the same process, so both sides run with it.
"""

from __future__ import annotations

import logging

from SpiffWorkflow import task as spiff_task
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

_library_set_state = Task._set_state


def _set_state(self: Task, value: int) -> None:
    logger = spiff_task.logger
    if value != self._state:
        if logger.isEnabledFor(logging.INFO):
            _library_set_state(self, value)
            return
        self.last_state_change = spiff_task.time.time()
        self._state = value
    elif logger.isEnabledFor(logging.DEBUG):
        logger.debug(f"State set to {TaskState.get_name(value)}", extra=self.collect_log_extras())


def install() -> None:
    """Idempotent; the library's method stays reachable as ``_library_set_state``."""
    Task._set_state = _set_state
