"""A scheduler process for the interrupted-firing test: fires one case's due timers on the test's
database at the test's time, as the embedded scheduler or a Celery worker would, and is killed
by the test while it is stuck.

    python -m tests.security.firing_process DATABASE_URL ISO_NOW CASE_ID
"""

from __future__ import annotations

import sys
from datetime import datetime

from bootstrap import build_engine
from config import Settings
from engine import ManualClock
from engine.background import TimerRunner


def main(database_url: str, now: str, case_id: str) -> None:
    settings = Settings(environment="test", database_url=database_url, script_timeout_seconds=1.0)
    engine = build_engine(settings, ManualClock(datetime.fromisoformat(now)))
    TimerRunner(engine).fire(case_id)


if __name__ == "__main__":
    main(*sys.argv[1:4])
