"""The deserialized workflows of recently changed cases, kept in the process.

Loading a case's workflow from its stored JSON is a large share of a command's cost, and the
next command on a case usually runs in the process that ran the last one (a clerk's claim, then
completion). After a command commits, its workflow object is remembered here under the exact
case version and state hash it was stored with; the next command on that case takes it instead
of loading the stored state, if the case row still has that version and hash.

Safety rests on three rules:
- an entry is taken out (popped) when used, so two threads never share a workflow object, and a
  command that fails leaves nothing behind: its half-changed workflow is simply dropped;
- an entry is put back only after its transaction committed (``after_commit``), keyed by the
  committed version, so another process's change to the case makes the entry a miss;
- only workflows whose serialized form is plain JSON are kept (``serialization.encode`` tells):
  a tuple, a set or a non-string key in task data would come back from the stored state as
  something else, and the cached object must behave exactly as the loaded one would. Replay
  (which always loads) and ``verify`` hold both paths to that.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any


@dataclass
class CachedWorkflow:
    workflow: Any
    ready_tasks: list  # runtime.ReadyTask of the workflow, as the last command left them
    waiting_service_tasks: list  # service_tasks.WaitingServiceTask, likewise


class WorkflowCache:
    def __init__(self, capacity: int = 1000) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, tuple[tuple, CachedWorkflow]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def take(self, case_id: str, key: tuple) -> CachedWorkflow | None:
        """The cached workflow of ``case_id`` if it was stored under ``key``; removed either way."""
        with self._lock:
            found = self._entries.pop(case_id, None)
            if found is not None and found[0] == key:
                self.hits += 1
                return found[1]
            self.misses += 1
            return None

    def put(self, case_id: str, key: tuple, entry: CachedWorkflow) -> None:
        if self.capacity <= 0:
            return
        with self._lock:
            self._entries[case_id] = (key, entry)
            self._entries.move_to_end(case_id)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
