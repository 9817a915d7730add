"""Verifying cases: one, a batch read in two queries, or all of them in worker processes.

A case's verification is its hash chain, its replay and its attached files
(``engine.audit.replay.verify``, ``engine.audit.documents``). Replay is SpiffWorkflow's work,
one case at a time on one core: to verify a whole office, the cases are split in batches that
worker processes verify, each with an engine of its own (its definitions parsed once), and the
results come back in the order of the cases. The workers are built by the engine's
``worker_factory`` (given by the composition root, bootstrap.py), in new processes ("spawn":
nothing of the parent's threads or connections is inherited).
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import select

from engine.audit import replay
from engine.audit.documents import attached, check_documents
from engine.storage.models import Case, CaseDocument, CaseEvent

# Below this many cases, starting worker processes costs more than it saves.
PARALLEL_FROM_CASES = 2000
CASES, EVENTS, DOCUMENTS = Case.__table__, CaseEvent.__table__, CaseDocument.__table__


def verify_loaded(engine, case, events: list, documents: Iterable = ()) -> replay.Verification:
    """The verification of a case already read: its row, its events in order, its files' rows."""
    definition = engine.definition(case.definition_id)
    result = replay.verify(case, events, definition, engine.replay_script_engine, definitions=engine.definition)
    problems = check_documents(events, {row.id: row for row in documents}, engine.documents)
    if problems:
        result.ok = False
        result.problems += [problem for _seq, problem in problems]
        first = min(seq for seq, _problem in problems)
        result.first_divergent_seq = min(filter(None, (result.first_divergent_seq, first)))
    return result


def verify_batch(engine, case_ids: list[str]) -> list[replay.Verification]:
    """Verify these cases (in this order), read with their events in two queries."""
    with engine.read() as session:
        conn = session.connection()
        cases = {row.id: row for row in conn.execute(select(CASES).where(CASES.c.id.in_(case_ids)))}
        events: dict[str, list] = {case_id: [] for case_id in case_ids}
        for row in conn.execute(
            select(EVENTS).where(EVENTS.c.case_id.in_(case_ids)).order_by(EVENTS.c.case_id, EVENTS.c.seq)
        ):
            events[row.case_id].append(row)
        with_files = [case_id for case_id in case_ids if attached(events[case_id])]
        documents: dict[str, list] = {case_id: [] for case_id in with_files}
        if with_files:
            for row in conn.execute(select(DOCUMENTS).where(DOCUMENTS.c.case_id.in_(with_files))):
                documents[row.case_id].append(row)
    return [
        verify_loaded(engine, cases[case_id], events[case_id], documents.get(case_id, ()))
        for case_id in case_ids
        if case_id in cases  # (removed meanwhile by retention)
    ]


def verify_in_workers(
    batches: Iterable[list[str]], worker_factory: Callable[[], Any], workers: int
) -> Iterator[replay.Verification]:
    """Verify the batches in ``workers`` processes, each with the engine ``worker_factory`` builds;
    the results in the order of the batches."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start, initargs=(worker_factory,)) as pool:
        for results in pool.map(_verify_in_worker, batches):
            yield from results


def worker_count() -> int:
    """One worker per core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_worker_engine = None


def _start(worker_factory: Callable[[], Any]) -> None:
    global _worker_engine
    _worker_engine = worker_factory()


def _verify_in_worker(case_ids: list[str]) -> list[replay.Verification]:
    return verify_batch(_worker_engine, case_ids)
