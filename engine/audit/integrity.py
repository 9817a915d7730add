"""Recorded verification runs: who verified which cases (hash chains and replay), when, and
the first divergent event of each failing case. The anchors, trees and proofs that catch a
rewrite of the whole log are in ``anchoring`` and ``proofs``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.access import CaseAccess
from engine.audit.replay import Verification
from engine.storage.audit_models import VerificationFailure, VerificationRun
from engine.storage.models import Case
from engine.storage.visibility import reachable

SCOPE_CASE, SCOPE_ALL = "case", "all"


# ---------------------------------------------------------------------- verification runs
@dataclass
class RunSummary:
    """What a verification run found; ``failures`` are the failing cases in the order checked."""

    scope: str
    case_id: str | None
    started_at: datetime
    checked: int = 0
    failures: list[Verification] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def verify_and_record(
    engine, *, actor: str, case_id: str | None = None, access: CaseAccess | None = None
) -> dict[str, Any]:
    """Verify one case (``case_id``, if ``access`` reaches it) or all of them, record the run, and return it."""
    summary = RunSummary(SCOPE_CASE if case_id else SCOPE_ALL, case_id, engine.clock.now())
    results: Iterable[Verification] = [engine.verify_case(case_id, access)] if case_id else engine.verify_all()
    for result in results:
        summary.checked += 1
        if not result.ok:
            summary.failures.append(result)
    with engine.write() as session:
        run = record_run(session, summary, actor=actor, finished_at=engine.clock.now())
        return run_dict(run, summary.failures)


def record_run(session: Session, summary: RunSummary, *, actor: str, finished_at: datetime) -> VerificationRun:
    first = summary.failures[0] if summary.failures else None
    run = VerificationRun(
        started_at=summary.started_at,
        finished_at=finished_at,
        actor=actor,
        scope=summary.scope,
        case_id=summary.case_id,
        cases_checked=summary.checked,
        cases_failed=len(summary.failures),
        ok=summary.ok,
        first_failed_case_id=first.case_id if first else None,
        first_failed_number=first.number if first else None,
        first_divergent_seq=first.first_divergent_seq if first else None,
        first_problem=first.problems[0] if first and first.problems else None,
    )
    session.add(run)
    session.flush()
    session.add_all(
        VerificationFailure(
            run_id=run.id,
            case_id=failure.case_id,
            number=failure.number,
            first_divergent_seq=failure.first_divergent_seq,
            problems=failure.problems,
        )
        for failure in summary.failures
    )
    return run


def run_dict(run: VerificationRun, failures: list) -> dict[str, Any]:
    return {
        "id": run.id,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "actor": run.actor,
        "scope": run.scope,
        "case_id": run.case_id,
        "cases_checked": run.cases_checked,
        "cases_failed": run.cases_failed,
        "ok": run.ok,
        "first_failure": None
        if run.ok
        else {
            "case_id": run.first_failed_case_id,
            "number": run.first_failed_number,
            "first_divergent_seq": run.first_divergent_seq,
            "problem": run.first_problem,
        },
        "failures": [_failure_dict(failure) for failure in failures],
    }


def _failure_dict(failure) -> dict[str, Any]:
    return {
        "case_id": failure.case_id,
        "number": failure.number,
        "first_divergent_seq": failure.first_divergent_seq,
        "problems": list(failure.problems),
    }


def list_runs(
    session: Session,
    *,
    case_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
    access: CaseAccess | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Recorded runs, newest first, each with its failures. A caller limited to some cases
    (``access``) lists the runs of one case they reach, not the office-wide ones (whose failures
    name any case)."""
    query = select(VerificationRun)
    if access is not None and not access.every_case:
        query = query.where(VerificationRun.case_id.in_(select(Case.id).where(reachable(access))))
    if case_id is not None:
        query = query.where(VerificationRun.case_id == case_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    runs = list(session.scalars(query.order_by(VerificationRun.id.desc()).limit(limit).offset(offset)))
    failures: dict[int, list] = {run.id: [] for run in runs}
    if runs:
        for failure in session.scalars(
            select(VerificationFailure).where(VerificationFailure.run_id.in_(failures)).order_by(VerificationFailure.id)
        ):
            failures[failure.run_id].append(failure)
    return [run_dict(run, failures[run.id]) for run in runs], total
