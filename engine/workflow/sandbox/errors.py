"""What the sandbox raises, and the names its compiled code carries."""

from __future__ import annotations

# Every code object compiled here carries this file name. The time limit uses it to tell script
# frames (traced line by line) from host frames (not traced), and error reports use it to find the
# script's line in a traceback. The angle brackets keep it from clashing with a real file.
SCRIPT_FILENAME = "<bpmn script>"

# ``range()`` builds no list, but ``sum(range(10**12))`` runs in C where the time limit cannot
# reach it. No legitimate case-handling script needs more numbers than this.
MAX_RANGE_LENGTH = 1_000_000

# Name of the per-run function that ScriptPolicy calls at the start of every ``while`` body and
# every ``except`` and ``finally`` block (see TimeLimit.check). Scripts cannot name it (leading "_").
TIME_CHECK_NAME = "_check_time_limit_"


class ScriptTimeout(Exception):
    """A script or expression used more than its CPU-time limit and was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"ran longer than {seconds:g} s and was stopped")
        self.seconds = seconds


class ScriptNotAllowed(Exception):
    """A script or expression tried something the sandbox refuses (at compile or at run time)."""

    def __init__(self, message: str, *, line_number: int | None = None) -> None:
        super().__init__(message)
        # Set only for compile-time refusals; their message already names every offending line.
        self.line_number = line_number


class ScriptTooLarge(Exception):
    """A script or expression would build a value too large to compute safely (checked before)."""


class ScriptDataError(Exception):
    """A script left a value in task data that cannot be stored as JSON."""
