"""Engine benchmark: cases per second, persisted on SQLite vs SpiffWorkflow alone in memory.

    .venv/bin/python -m bench.engine [--cases N]

Both sides run the same procedure (start -> user task -> gateway -> script -> end) in the same
process and the same run. The persisted side goes through engine commands: StartCase (which
answers with the task it opened) and CompleteTask, each one transaction with state, events and
inbox rows. A second, instrumented run shows where the time goes. The last line printed is a
JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine import CaseEngine, files_from_folder
from engine import commands as cmd
from engine.storage import store, upgrade
from engine.workflow import runtime, serialization

PROCEDURE = Path(__file__).parent / "procedures" / "bench_simple"
DATA = {"copies": 2}


def in_memory_rate(cases: int) -> float:
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(PROCEDURE / "bench_simple.bpmn"))
    spec = parser.get_spec("bench_simple")
    began = time.perf_counter()
    for _ in range(cases):
        workflow = BpmnWorkflow(spec)
        workflow.task_tree.data.update(DATA)
        workflow.do_engine_steps()
        task = workflow.get_next_task(state=TaskState.READY, manual=True)
        task.data.update({"ok": True})
        task.run()
        workflow.do_engine_steps()
        assert workflow.is_completed()
    return cases / (time.perf_counter() - began)


class Stopwatch:
    """Adds up where the persisted run spends its time, by wrapping the engine's modules:
    SpiffWorkflow work (runtime), (de)serialization, and SQL statements (store); the rest is
    transactions (BEGIN/COMMIT), hashing, validation and Python glue."""

    PARTS = {
        "engine": (runtime, ("start_workflow", "apply_change", "ready_tasks", "next_timer_due")),
        "serialization": (serialization, ("encode", "dumps", "loads")),
        "sql": (
            store,
            (
                "load_case",
                "save_case",
                "insert_case",
                "append_events",
                "get_task",
                "open_tasks",
                "insert_tasks",
                "close_tasks",
                "assign_task",
                "next_case_number",
                "latest_definition_id",
            ),
        ),
    }

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self._originals = []
        for part, (module, names) in self.PARTS.items():
            for name in names:
                if hasattr(module, name):
                    self._wrap(part, module, name)

    def _wrap(self, part, module, name):
        original = getattr(module, name)
        self._originals.append((module, name, original))

        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.totals[part] += time.perf_counter() - began

        setattr(module, name, timed)

    def restore(self) -> None:
        for module, name, original in self._originals:
            setattr(module, name, original)


def _persisted_engine(folder: Path, database_url: str | None = None) -> CaseEngine:
    url = database_url or f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    engine = CaseEngine(url)
    engine.handle(cmd.DeployDefinition(files_from_folder(PROCEDURE)))
    return engine


def _run_persisted(engine: CaseEngine, cases: int) -> float:
    began = time.perf_counter()
    for _ in range(cases):
        started = engine.handle(cmd.StartCase("bench_simple", DATA))
        engine.handle(cmd.CompleteTask(started.open_tasks[0].id, "clerk", {"ok": True}))
    return time.perf_counter() - began


def persisted_rate(
    cases: int, folder: Path, *, measure_parts: bool = False, database_url: str | None = None
) -> tuple[float, dict[str, float]]:
    """Persisted cases per second (on SQLite in ``folder``, or on ``database_url``); with
    ``measure_parts``, also the share of each part."""
    engine = _persisted_engine(folder, database_url)
    stopwatch = Stopwatch() if measure_parts else None
    elapsed = _run_persisted(engine, cases)
    engine.dispose()
    shares = {}
    if stopwatch is not None:
        stopwatch.restore()
        shares = {name: round(seconds / elapsed, 3) for name, seconds in stopwatch.totals.items()}
        shares["transactions_and_other"] = round(1 - sum(shares.values()), 3)
    return cases / elapsed, shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    args = parser.parse_args()
    in_memory_rate(min(200, args.cases))  # warm up imports and caches
    with tempfile.TemporaryDirectory() as folder:
        memory, persisted = interleaved_rates(args.cases, Path(folder))
    with tempfile.TemporaryDirectory() as folder:  # a second, instrumented run for the breakdown
        _, shares = persisted_rate(min(args.cases, 1000), Path(folder), measure_parts=True)
    ratio = persisted / memory
    print(f"in memory (SpiffWorkflow alone): {memory:8.0f} cases/s")
    print(f"persisted (engine on SQLite):    {persisted:8.0f} cases/s")
    print(f"ratio persisted / in memory:     {ratio:8.2f}  (goal >= 0.40)")
    print("share of persisted wall time: " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()))
    print(
        json.dumps(
            {
                "benchmark": "engine",
                "cases": args.cases,
                "in_memory_per_s": round(memory, 1),
                "persisted_per_s": round(persisted, 1),
                "ratio": round(ratio, 3),
                "time_share": shares,
            }
        )
    )


def interleaved_rates(cases: int, folder: Path, block: int = 100) -> tuple[float, float]:
    """Both rates, measured in alternating blocks so that a busy machine slows both alike."""
    memory_seconds = persisted_seconds = 0.0
    done = 0
    engine = _persisted_engine(folder)
    while done < cases:
        size = min(block, cases - done)
        memory_seconds += size / in_memory_rate(size)
        persisted_seconds += _run_persisted(engine, size)
        done += size
    engine.dispose()
    return cases / memory_seconds, cases / persisted_seconds


if __name__ == "__main__":
    main()
