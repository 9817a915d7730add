"""Anonymisation: closed cases past their period lose their personal values in place, and every
proof of their history stays valid.

Events written with hash version 2 commit to each top-level payload value through a salted
digest (verifier/chain.py). Anonymising an event removes a value *and its salt* and keeps the
digest in ``redacted``: the event's hash, the case's chain, the signed daily roots and the
inclusion proofs stay exactly as they were, and without the salt the removed value cannot be
found again by trying its few possibilities. Keys that say what happened rather than to whom
(``STRUCTURAL_KEYS``: which step, which message, which version, times, the SLA clock, the
score, a file's SHA-256) stay, so the figures computed from them do not change.

Per case, in one transaction (one bad case never stops the others):
1. refuse a case with events written before hash version 2 that hold personal values: their
   hash covers the values themselves, so removing one would break the chain; such a case leaves
   the database whole by retention (``archive_and_purge``) instead;
2. refuse a case that fails verification: evidence of tampering is never anonymised away;
3. record the case in ``case_redactions`` (what lets the append-only guard accept the change:
   nothing but ``payload``, ``payload_salts`` and ``redacted`` of version-2 events), redact the
   events, empty the applicant (and the search columns made from it), the workflow's data, the
   tasks' saved drafts, the rating's comment, the notifications' addresses and texts, the
   agency calls' parameters and error messages and the attached files, and append a
   ``case_anonymised`` event saying which keys of how many events were removed.
The files leave the document store after the commit (a file the store could not remove is
reported; its record is gone).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from engine.audit.documents import remove_files
from engine.audit.retention import RetentionPolicy, declare_to_guard, past_period
from engine.errors import Conflict
from engine.events import CASE_ANONYMISED, PendingEvent
from engine.storage import store
from engine.storage.audit_models import CaseRedaction
from engine.storage.eventlog import chain_events
from engine.storage.jobs import ServiceJob
from engine.storage.models import Case, CaseDocument, CaseEvent, DevelopmentMessage, Notification, Rating, Task
from engine.workflow import runtime, serialization
from verifier.chain import value_digest

log = logging.getLogger("onestop.anonymisation")

# Payload keys that say what happened, not to whom: kept by anonymisation.
STRUCTURAL_KEYS = frozenset(
    {
        # the procedure, its version, the channel, moves between versions
        "definition_id",
        "procedure",
        "version",
        "channel",
        "from_definition_id",
        "from_version",
        "to_definition_id",
        "to_version",
        # which step, which message, which agency operation
        "task_id",
        "task_ids",
        "job_id",
        "name",
        "operation",
        # which staff did the work (as the events' actor does): the workload figures count them
        "previous_assignee",
        "assignee",
        "officer",
        "previous_officer",
        # which agency answered, where, how fast, with what status (not what was asked or answered)
        "agency",
        "agency_name",
        "endpoint",
        "duration_ms",
        "status",
        # times and the SLA clock
        "due",
        "due_at",
        "previous_due_at",
        "paused_at",
        "paused",
        "served_at",
        "on_time",
        "overdue_at",
        "found_at",
        "standard",
        "amount",
        "unit",
        "extended",
        "requested_at",
        "answered_at",
        # the rating's score; a file's kind, type, size and SHA-256 (not its name or bytes)
        "score",
        "document_id",
        "kind",
        "media_type",
        "size",
        "sha256",
        "occasion",
    }
)
CASES = Case.__table__
PAGE = 200


class NotAnonymisable(Exception):
    """The case stays as it is; the message says why and what to do instead."""


@dataclass
class AnonymisationRun:
    dry_run: bool
    anonymised: list[dict[str, Any]] = field(default_factory=list)  # number, events, keys
    refused: list[dict[str, str]] = field(default_factory=list)  # number, reason: left whole by rule
    failed: list[dict[str, str]] = field(default_factory=list)  # number, error: left whole, to look at
    files_left: list[str] = field(default_factory=list)  # files the store could not remove

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "anonymised" if not self.dry_run else "would_anonymise": self.anonymised,
            "anonymised_count" if not self.dry_run else "would_anonymise_count": len(self.anonymised),
            "refused": self.refused,
            "failed": self.failed,
            "files_left_in_store": self.files_left,
        }


def due_for_anonymisation(
    session: Session, policy: RetentionPolicy, now: datetime, limit: int, after: tuple[datetime, str] | None = None
) -> list[Case]:
    """Closed cases past their period and not anonymised yet, oldest closing first, from after
    ``after`` (the closing time and id of the last case of the previous page)."""
    condition = past_period(policy, now)
    if condition is None:
        return []
    query = select(Case).where(condition, Case.id.not_in(select(CaseRedaction.case_id)))
    if after is not None:
        closed_at, case_id = after
        query = query.where((Case.closed_at > closed_at) | ((Case.closed_at == closed_at) & (Case.id > case_id)))
    return list(session.scalars(query.order_by(Case.closed_at, Case.id).limit(limit)))


def personal_keys(payload: dict | None, keep: Iterable[str] = STRUCTURAL_KEYS) -> list[str]:
    kept = set(keep)
    return sorted(key for key in payload or {} if key not in kept)


def plan(events: list[CaseEvent], keep: Iterable[str] = STRUCTURAL_KEYS) -> dict[int, list[str]]:
    """seq -> the payload keys anonymisation removes from that event; raises NotAnonymisable
    when an event written before hash version 2 holds one."""
    removed = {event.seq: personal_keys(event.payload, keep) for event in events}
    removed = {seq: keys for seq, keys in removed.items() if keys}
    hashed_whole = [event.seq for event in events if event.seq in removed and (event.hash_version or 1) < 2]
    if hashed_whole:
        raise NotAnonymisable(
            f"events {', '.join(map(str, hashed_whole))} were written before hash version 2 and hold personal "
            "values: their hash covers the values themselves, so removing them would break the chain the signed "
            "roots prove. The case is left whole; retention archives it whole (onestop retention run)."
        )
    return removed


def anonymise(
    engine,
    policy: RetentionPolicy,
    *,
    actor: str,
    limit: int = 1000,
    apply: bool = False,
    keep: Iterable[str] = STRUCTURAL_KEYS,
) -> AnonymisationRun:
    """List (``apply`` False) or anonymise the closed cases past the policy's period."""
    keep = frozenset(keep)
    run = AnonymisationRun(dry_run=not apply)
    now = engine.clock.now()
    after = None
    # Page through the due cases: those refused (written before hash version 2) stay due and
    # must not hold back the others.
    while len(run.anonymised) < limit:
        with engine.read() as session:
            page = [(c.id, c.number, c.closed_at) for c in due_for_anonymisation(session, policy, now, PAGE, after)]
        if not page:
            break
        for case_id, number, _closed_at in page:
            if len(run.anonymised) >= limit:
                break
            _one(engine, run, case_id, number, actor=actor, keep=keep, apply=apply)
        after = (page[-1][2], page[-1][0])
    return run


def _one(engine, run: AnonymisationRun, case_id: str, number: str, **options) -> None:
    try:
        done = anonymise_case(engine, case_id, **options)
    except NotAnonymisable as refusal:
        run.refused.append({"number": number, "reason": str(refusal)})
        return
    except Exception as error:  # one bad case never stops the others
        log.exception("anonymising case %s failed", number)
        run.failed.append({"number": number, "reason": f"{type(error).__name__}: {error}"})
        return
    run.files_left += done.pop("files_left", [])
    run.anonymised.append(done)


def anonymise_case(
    engine, case_id: str, *, actor: str, keep: frozenset[str] = STRUCTURAL_KEYS, apply: bool = True
) -> dict[str, Any]:
    """Anonymise one closed case (or, without ``apply``, say what would be removed)."""
    with engine.read() as session:
        case = session.get(Case, case_id)
        events = list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)))
        documents = list(session.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id)))
        session.expunge_all()
    if case.status not in ("completed", "cancelled"):
        raise NotAnonymisable(f"the case is {case.status}: only closed cases are anonymised")
    removed = plan(events, keep)
    summary = {
        "number": case.number,
        "events": len(removed),
        "keys": sorted({key for keys in removed.values() for key in keys}),
        "documents": len(documents),
    }
    if not apply:
        return summary
    verification = engine.verify_case(case_id)
    if not verification.ok:
        raise NotAnonymisable(
            "it fails verification (" + "; ".join(verification.problems) + "): evidence is never anonymised away"
        )
    _redact(engine, case, events, removed, summary, actor)
    summary["files_left"] = remove_files(engine.documents, [row.storage_key for row in documents])
    return summary


def _redact(engine, case: Case, events: list[CaseEvent], removed: dict[int, list[str]], summary: dict, actor: str):
    now = engine.clock.now()
    definition = engine.definition(case.definition_id)
    state = scrubbed_state(case.state, definition)
    state_hash = runtime.state_hash(state)
    with engine.write() as session:
        conn = session.connection()
        declare_to_guard(conn, "anonymise")
        session.add(
            CaseRedaction(
                case_id=case.id,
                number=case.number,
                redacted_at=now,
                redacted_by=actor,
                events=summary["events"],
                keys=summary["keys"],
            )
        )
        session.flush()  # the guard on case_events looks for this row
        for event in events:
            if event.seq in removed:
                conn.execute(
                    update(CaseEvent.__table__)
                    .where(CaseEvent.id == event.id)
                    .values(**redacted(event, removed[event.seq]))
                )
        rows = chain_events(
            case.id,
            str(uuid.uuid4()),
            [PendingEvent(CASE_ANONYMISED, actor, {"events": summary["events"], "keys": summary["keys"]})],
            occurred_at=now,
            after_seq=case.last_event_seq,
            after_hash=case.last_event_hash,
            state_hash=state_hash,
        )
        changed = conn.execute(
            update(CASES)
            .where(CASES.c.id == case.id, CASES.c.version == case.version)
            .values(
                applicant=None,
                applicant_name=None,
                applicant_name_key=None,
                applicant_id_digest=None,
                applicant_phone=None,
                close_reason=None,
                state=state,
                state_hash=state_hash,
                last_event_seq=rows[-1]["seq"],
                last_event_hash=rows[-1]["hash"],
                version=case.version + 1,
                updated_at=now,
            )
        ).rowcount
        if changed != 1:
            raise Conflict("the case changed while it was being anonymised; run again")
        store.append_events(conn, rows)
        _clear_related(conn, case.id)


def redacted(event: CaseEvent, keys: list[str]) -> dict[str, Any]:
    """The new ``payload``, ``payload_salts`` and ``redacted`` of a version-2 event without ``keys``."""
    salts = dict(event.payload_salts or {})
    digests = dict(event.redacted or {})
    for key in keys:
        digests[key] = value_digest(salts.pop(key), key, event.payload[key])
    payload = {key: value for key, value in event.payload.items() if key not in keys}
    return {"payload": payload, "payload_salts": salts, "redacted": digests}


def _clear_related(conn, case_id: str) -> None:
    conn.execute(update(Task.__table__).where(Task.case_id == case_id).values(draft=None))
    conn.execute(update(Rating.__table__).where(Rating.case_id == case_id).values(comment=None))
    notifications = select(Notification.id).where(Notification.case_id == case_id)
    conn.execute(
        update(DevelopmentMessage.__table__)
        .where(DevelopmentMessage.notification_id.in_(notifications))
        .values(recipient="", subject="", body="")
    )
    conn.execute(
        update(Notification.__table__)
        .where(Notification.case_id == case_id, Notification.status.in_(("pending", "sending")))
        .values(status="failed", last_error="not sent: the case was anonymised")
    )
    conn.execute(
        update(Notification.__table__).where(Notification.case_id == case_id).values(recipient="", subject="", body="")
    )
    jobs = ServiceJob.__table__
    for job_id, attempts in conn.execute(select(jobs.c.id, jobs.c.attempt_log).where(jobs.c.case_id == case_id)):
        # What was asked of the agency, and its error messages, go; when and with what outcome stay.
        kept = [{key: value for key, value in item.items() if key != "message"} for item in attempts or []]
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(params={}, last_error=None, attempt_log=kept))
    conn.execute(delete(CaseDocument.__table__).where(CaseDocument.case_id == case_id))


def scrubbed_state(state: str, definition) -> str:
    """The serialized workflow with every data value removed (the workflow's, each task's, and
    what events carried); its steps and their states stay, so the case still reads as it ended."""
    workflow = serialization.loads(state, definition.spec, definition.subprocess_specs)
    for process in [workflow, *workflow.subprocesses.values()]:
        process.data = {}
        for task in process.tasks.values():
            task.data = {}
            task.internal_data = {}
    if hasattr(workflow, "correlations"):
        workflow.correlations = {}
    return serialization.dumps(workflow)
