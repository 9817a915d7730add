"""Integrity proofs: recorded verification runs and signed daily anchors of the chain heads.

Each case's hash chain shows any edit of its own events, but someone able to rewrite the whole
event table could recompute every hash. Anchors close that gap: for each day, the last event
of every case changed that day is written down with a digest signed by a key that is kept
outside the database (HMAC-SHA256). A later rewrite changes those events' hashes, and the
anchors no longer match; forging the anchors too needs the key.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from engine.access import CaseAccess
from engine.audit.replay import Verification
from engine.errors import Conflict, InvalidInput
from engine.storage.audit_models import CaseArchive, ChainAnchor, ChainAnchorHead, VerificationFailure, VerificationRun
from engine.storage.models import CaseEvent

# A day is anchored only once it has been over for this long, so that commands still in flight
# at midnight (their events carry a time before it) have committed.
SETTLE_TIME = timedelta(minutes=5)
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
    session: Session, *, case_id: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """Recorded runs, newest first, each with its failures."""
    query = select(VerificationRun)
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


# ---------------------------------------------------------------------- anchors
def key_fingerprint(key: bytes) -> str:
    """Names the key in the record without revealing it."""
    return hashlib.sha256(b"onestop anchor key\n" + key).hexdigest()[:16]


def heads_digest(heads: Iterable[tuple[str, int, str]]) -> str:
    lines = "".join(f"{case_id} {seq} {event_hash}\n" for case_id, seq, event_hash in sorted(heads))
    return hashlib.sha256(lines.encode("ascii")).hexdigest()


def sign(key: bytes, day: date, digest: str) -> str:
    return hmac.new(key, f"{day.isoformat()}\n{digest}".encode("ascii"), hashlib.sha256).hexdigest()


def _require_key(key: bytes | None) -> bytes:
    if not key:
        raise InvalidInput(
            "No anchor key is configured (set ONESTOP_ANCHOR_KEY)", errors=[{"field": "key", "message": "required"}]
        )
    return key


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), zone)


def day_heads(session: Session, start: datetime, end: datetime) -> list[tuple[str, int, str]]:
    """The last event of the day of every case that had an event that day (an index range on
    ``occurred_at``, not a scan of the log)."""
    last = (
        select(CaseEvent.case_id, func.max(CaseEvent.seq).label("seq"))
        .where(CaseEvent.occurred_at >= start, CaseEvent.occurred_at < end)
        .group_by(CaseEvent.case_id)
        .subquery()
    )
    rows = session.execute(
        select(CaseEvent.case_id, CaseEvent.seq, CaseEvent.hash).join(
            last, and_(CaseEvent.case_id == last.c.case_id, CaseEvent.seq == last.c.seq)
        )
    )
    return sorted((row.case_id, row.seq, row.hash) for row in rows)


def anchor_day(engine, day: date, *, key: bytes | None, actor: str, zone: ZoneInfo) -> dict[str, Any]:
    """Anchor the chain heads of ``day`` (office-local). A day is anchored once."""
    key = _require_key(key)
    start, end = day_bounds(day, zone)
    now = engine.clock.now()
    if end + SETTLE_TIME > now:
        raise Conflict(f"{day} is not over yet (or ended less than {SETTLE_TIME} ago)", day=day.isoformat())
    with engine.write() as session:
        if session.scalar(select(ChainAnchor.id).where(ChainAnchor.day == day)) is not None:
            raise Conflict(f"{day} is already anchored", day=day.isoformat())
        heads = day_heads(session, start, end)
        digest = heads_digest(heads)
        anchor = ChainAnchor(
            day=day,
            created_at=now,
            created_by=actor,
            cases=len(heads),
            digest=digest,
            key_id=key_fingerprint(key),
            signature=sign(key, day, digest),
        )
        session.add(anchor)
        session.flush()
        if heads:
            session.execute(
                ChainAnchorHead.__table__.insert(),
                [
                    {"anchor_id": anchor.id, "case_id": case_id, "seq": seq, "hash": event_hash}
                    for case_id, seq, event_hash in heads
                ],
            )
        return anchor_dict(anchor)


def anchor_dict(anchor: ChainAnchor) -> dict[str, Any]:
    return {
        "day": anchor.day,
        "created_at": anchor.created_at,
        "created_by": anchor.created_by,
        "cases": anchor.cases,
        "digest": anchor.digest,
        "key_id": anchor.key_id,
    }


def unanchored_days(session: Session, zone: ZoneInfo, until: date) -> list[date]:
    """Days from the first event up to ``until`` that have no anchor yet."""
    first = session.scalar(select(func.min(CaseEvent.occurred_at)))
    if first is None:
        return []
    anchored = set(session.scalars(select(ChainAnchor.day)))
    day, days = first.astimezone(zone).date(), []
    while day <= until:
        if day not in anchored:
            days.append(day)
        day += timedelta(days=1)
    return days


def verify_anchors(engine, *, key: bytes | None, since: date | None = None) -> dict[str, Any]:
    """Check every anchor (from ``since``): its heads match its digest, the digest its signature,
    and each anchored event is still in the log with the same hash (or left it by retention)."""
    key = _require_key(key)
    problems: list[dict[str, Any]] = []
    checked = archived = 0
    with engine.read() as session:
        query = select(ChainAnchor).order_by(ChainAnchor.day)
        if since is not None:
            query = query.where(ChainAnchor.day >= since)
        anchors = list(session.scalars(query))
        for anchor in anchors:
            found, left = _check_anchor(session, anchor, key)
            problems.extend(found)
            archived += left
            checked += anchor.cases
    return {
        "anchors": len(anchors),
        "heads_checked": checked,
        "heads_archived": archived,
        "ok": not problems,
        "problems": problems,
    }


def _check_anchor(session: Session, anchor: ChainAnchor, key: bytes) -> tuple[list[dict], int]:
    def problem(message: str, **where) -> dict:
        return {"day": anchor.day.isoformat(), "message": message, **where}

    rows = session.execute(
        select(
            ChainAnchorHead.case_id,
            ChainAnchorHead.seq,
            ChainAnchorHead.hash,
            CaseEvent.hash.label("live"),
            CaseArchive.last_event_hash.label("archived_hash"),
            CaseArchive.events.label("archived_events"),
        )
        .outerjoin(CaseEvent, and_(CaseEvent.case_id == ChainAnchorHead.case_id, CaseEvent.seq == ChainAnchorHead.seq))
        .outerjoin(CaseArchive, CaseArchive.case_id == ChainAnchorHead.case_id)
        .where(ChainAnchorHead.anchor_id == anchor.id)
    ).all()
    problems = []
    if anchor.key_id != key_fingerprint(key):
        problems.append(problem(f"signed with another key ({anchor.key_id}); cannot be checked with this one"))
    elif not hmac.compare_digest(sign(key, anchor.day, anchor.digest), anchor.signature):
        problems.append(problem("the signature does not match the digest: the anchor was altered"))
    if heads_digest((row.case_id, row.seq, row.hash) for row in rows) != anchor.digest or len(rows) != anchor.cases:
        problems.append(problem("the anchored heads do not match the signed digest: they were altered"))
    archived = 0
    for row in rows:
        if row.live is None and row.archived_hash is not None:
            archived += 1  # left the log through retention, recorded in case_archives
            if row.seq == row.archived_events and row.archived_hash != row.hash:
                problems.append(
                    problem(
                        "the archived case's last event differs from the anchored one", case_id=row.case_id, seq=row.seq
                    )
                )
        elif row.live is None:
            problems.append(problem("an anchored event is missing from the log", case_id=row.case_id, seq=row.seq))
        elif row.live != row.hash:
            problems.append(
                problem("an anchored event's hash changed: the history was rewritten", case_id=row.case_id, seq=row.seq)
            )
    return problems, archived


def list_anchors(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    return [
        anchor_dict(anchor)
        for anchor in session.scalars(select(ChainAnchor).order_by(ChainAnchor.day.desc()).limit(limit))
    ]
