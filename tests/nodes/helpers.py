"""Racing processes stood in for by threads, all released at once."""

from __future__ import annotations

import threading
import time
from typing import Callable

from sqlalchemy.exc import OperationalError

from engine import EngineError


def at_once(attempts: list[Callable[[], object]], tries: int = 20) -> list[object]:
    """Run every attempt in a thread of its own, released together; what each returned, or the
    engine's error it raised. An attempt that met SQLite's busy writer tries again."""
    outcomes: list[object] = []
    barrier = threading.Barrier(len(attempts))

    def run(attempt: Callable[[], object]) -> None:
        barrier.wait()
        for _ in range(tries):
            try:
                outcomes.append(attempt())
                return
            except EngineError as error:
                outcomes.append(error)
                return
            except OperationalError:
                time.sleep(0.01)

    threads = [threading.Thread(target=run, args=(attempt,)) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
