"""Daily anchors of the chain heads: a Merkle tree per day, a tree over days, an Ed25519 signature
over both roots, and an RFC 3161 timestamp when a timestamp authority is configured.

Each case's hash chain shows any edit of its own events, but whoever can rewrite the event
table can recompute every hash. For each day, the last event of every case changed that day
(its head) becomes a leaf of the day's tree (RFC 6962, leaves in case-id order); each anchored
day becomes a leaf of the tree over days, which only grows, so a consistency proof shows that
today's tree extends yesterday's. The office signs the statement of both roots
(``verifier/statements.py``) with a key kept outside the database, and hands it to witnesses it
does not control: a timestamp authority, and the monthly roots file the bureau keeps
(``engine/audit/proofs.py``). A later rewrite changes the heads, and the roots no longer match
what was witnessed. Anchors made before public keys (``hmac-sha256``) stay checkable with the
HMAC key they were made with.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, time, timedelta
from typing import Any, Callable, Iterable, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from engine.audit.signing import Signer, key_for_day, last_signed_day, public_keys_document, require_signer
from engine.errors import Conflict
from engine.storage.audit_models import (
    SCHEME_MERKLE,
    CaseArchive,
    ChainAnchor,
    ChainAnchorHead,
)
from engine.storage.models import CaseEvent
from verifier import merkle, timestamps
from verifier.statements import PublicKeys, b64, day_leaf, differences, head_leaf, statement_bytes, unb64
from verifier.timestamps import read_response

# A day is anchored only once it has been over for this long, so that commands still in flight
# at midnight (their events carry a time before it) have committed.
SETTLE_TIME = timedelta(minutes=5)
Timestamper = Callable[[bytes], tuple[str, bytes]]  # statement -> (authority, DER response)


# ---------------------------------------------------------------------- the day's heads
def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), zone)


def day_heads(session: Session, start: datetime, end: datetime) -> list[tuple[str, int, str]]:
    """The last event of the day of every case that had an event that day, in case-id order (an
    index range on ``occurred_at``, not a scan of the log)."""
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


def stored_heads(session: Session, anchor_id: int) -> list[tuple[str, int, str]]:
    rows = session.execute(
        select(ChainAnchorHead.case_id, ChainAnchorHead.seq, ChainAnchorHead.hash)
        .where(ChainAnchorHead.anchor_id == anchor_id)
        .order_by(ChainAnchorHead.case_id)
    )
    return [tuple(row) for row in rows]


def heads_tree(heads: Iterable[tuple[str, int, str]]) -> merkle.MerkleTree:
    return merkle.MerkleTree.of_leaves([head_leaf(*head) for head in heads])


# ---------------------------------------------------------------------- HMAC (the office's own seal)
def key_fingerprint(key: bytes) -> str:
    """Names the HMAC key in the record without revealing it."""
    return hashlib.sha256(b"onestop anchor key\n" + key).hexdigest()[:16]


def legacy_digest(heads: Iterable[tuple[str, int, str]]) -> str:
    lines = "".join(f"{case_id} {seq} {event_hash}\n" for case_id, seq, event_hash in sorted(heads))
    return hashlib.sha256(lines.encode("ascii")).hexdigest()


def hmac_seal(key: bytes, day: date, digest: str) -> str:
    return hmac.new(key, f"{day.isoformat()}\n{digest}".encode("ascii"), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------- anchoring a day
def merkle_anchors(session: Session, until: date | None = None) -> list[ChainAnchor]:
    query = select(ChainAnchor).where(ChainAnchor.scheme == SCHEME_MERKLE).order_by(ChainAnchor.day)
    if until is not None:
        query = query.where(ChainAnchor.day <= until)
    return list(session.scalars(query))


def days_tree(anchors: Iterable[ChainAnchor]) -> merkle.MerkleTree:
    return merkle.MerkleTree.of_leaves([day_leaf(a.day.isoformat(), a.cases, a.digest) for a in anchors])


def anchor_day(
    engine,
    day: date,
    *,
    signer: Signer | None,
    actor: str,
    zone: ZoneInfo,
    hmac_key: bytes | None = None,
    timestamper: Timestamper | None = None,
) -> dict[str, Any]:
    """Anchor ``day`` (office-local): build its tree, extend the tree over days, sign both
    roots, and have the statement timestamped when a timestamp authority is configured. Days
    are anchored once each, in order."""
    signer = require_signer(signer)
    start, end = day_bounds(day, zone)
    now = engine.clock.now()
    if end + SETTLE_TIME > now:
        raise Conflict(f"{day} is not over yet (or ended less than {SETTLE_TIME} ago)", day=day.isoformat())
    with engine.write() as session:
        if session.scalar(select(ChainAnchor.id).where(ChainAnchor.day == day)) is not None:
            raise Conflict(f"{day} is already anchored", day=day.isoformat())
        last = last_signed_day(session)
        if last is not None and day < last:
            raise Conflict(f"{last} is anchored already: days are anchored in order", day=day.isoformat())
        key = key_for_day(session, signer, day, now=now, actor=actor)
        heads = day_heads(session, start, end)
        root = heads_tree(heads).root().hex()
        days = merkle.CompactRange()
        for earlier in merkle_anchors(session):
            days.append(merkle.leaf_hash(day_leaf(earlier.day.isoformat(), earlier.cases, earlier.digest)))
        days.append(merkle.leaf_hash(day_leaf(day.isoformat(), len(heads), root)))
        anchor = ChainAnchor(
            day=day,
            created_at=now,
            created_by=actor,
            cases=len(heads),
            digest=root,
            scheme=SCHEME_MERKLE,
            days=days.size,
            days_root=days.root().hex(),
            signing_key_id=key.key_id,
            key_id=key_fingerprint(hmac_key) if hmac_key else None,
            signature=hmac_seal(hmac_key, day, root) if hmac_key else None,
        )
        anchor.root_signature = signer.sign(statement_bytes(signed_root(anchor, with_signature=False)))
        session.add(anchor)
        session.flush()
        if heads:
            session.execute(
                ChainAnchorHead.__table__.insert(),
                [{"anchor_id": anchor.id, "case_id": c, "seq": s, "hash": h} for c, s, h in heads],
            )
        anchor_id, result = anchor.id, signed_root(anchor)
    if timestamper is not None:
        result["timestamp"] = stamp(engine, anchor_id, timestamper)
    return result


def anchor_missing(
    engine,
    *,
    signer: Signer | None,
    actor: str,
    zone: ZoneInfo,
    hmac_key: bytes | None = None,
    timestamper: Timestamper | None = None,
) -> list[dict[str, Any]]:
    """Anchor every day not anchored yet that is over (and settled), in order; then ask the
    timestamp authority again for the anchors it has not stamped. What the daily schedule runs
    (the embedded scheduler, Celery beat, or ``onestop audit anchor --missing``): running it
    again, or from two places at once, anchors nothing twice (one anchor per day, unique)."""
    until = (engine.clock.now() - SETTLE_TIME).astimezone(zone).date() - timedelta(days=1)
    with engine.read() as session:
        days = unanchored_days(session, zone, until)
    done = [
        anchor_day(engine, day, signer=signer, actor=actor, zone=zone, hmac_key=hmac_key, timestamper=timestamper)
        for day in days
    ]
    if timestamper is not None:
        stamped = {item["day"] for item in done}
        done += [item for item in timestamp_missing(engine, timestamper) if item["day"] not in stamped]
    return done


def stamp(engine, anchor_id: int, timestamper: Timestamper) -> dict[str, Any] | None:
    """Have one anchor's statement timestamped; a failure is recorded and retried later
    (``timestamp_missing``), the anchor stands without it meanwhile."""
    with engine.read() as session:
        anchor = session.get(ChainAnchor, anchor_id)
        message = statement_bytes(signed_root(anchor))
    values: dict[str, Any]
    try:
        authority, response = timestamper(message)
        stamped = read_response(response, message)
        values = {
            "timestamp_response": b64(response),
            "timestamp_authority": authority,
            "timestamped_at": stamped.time,
            "timestamp_error": None,
        }
    except Exception as error:  # noqa: BLE001  (any failure of the witness is recorded, never fatal)
        values = {"timestamp_error": f"{type(error).__name__}: {error}"}
    with engine.write() as session:
        session.execute(update(ChainAnchor).where(ChainAnchor.id == anchor_id).values(**values))
        return timestamp_dict(session.get(ChainAnchor, anchor_id))


def timestamp_missing(engine, timestamper: Timestamper) -> list[dict[str, Any]]:
    """Timestamp every signed anchor that has no timestamp yet (the authority was down)."""
    with engine.read() as session:
        ids = list(
            session.scalars(
                select(ChainAnchor.id)
                .where(ChainAnchor.scheme == SCHEME_MERKLE, ChainAnchor.timestamp_response.is_(None))
                .order_by(ChainAnchor.day)
            )
        )
        days = {anchor_id: session.get(ChainAnchor, anchor_id).day.isoformat() for anchor_id in ids}
    return [{"day": days[anchor_id], "timestamp": stamp(engine, anchor_id, timestamper)} for anchor_id in ids]


def timestamp_dict(anchor: ChainAnchor) -> dict[str, Any] | None:
    if anchor.timestamp_response is None:
        return {"error": anchor.timestamp_error} if anchor.timestamp_error else None
    return {
        "authority": anchor.timestamp_authority,
        "time": anchor.timestamped_at.isoformat() if anchor.timestamped_at else None,
        "response": anchor.timestamp_response,
    }


def signed_root(anchor: ChainAnchor, *, with_signature: bool = True) -> dict[str, Any]:
    """A day's signed root as the exports carry it (``verifier/statements.py``)."""
    result = {
        "day": anchor.day.isoformat(),
        "cases": anchor.cases,
        "root": anchor.digest,
        "days": anchor.days,
        "days_root": anchor.days_root,
        "key_id": anchor.signing_key_id,
    }
    if with_signature:
        result["signature"] = anchor.root_signature
        stamp_ = timestamp_dict(anchor)
        result["timestamp"] = stamp_ if stamp_ and "response" in stamp_ else None
    return result


def anchor_dict(anchor: ChainAnchor) -> dict[str, Any]:
    return {
        "day": anchor.day,
        "scheme": anchor.scheme,
        "created_at": anchor.created_at,
        "created_by": anchor.created_by,
        "cases": anchor.cases,
        "digest": anchor.digest,
        "days": anchor.days,
        "days_root": anchor.days_root,
        "signing_key_id": anchor.signing_key_id,
        "signature": anchor.root_signature,
        "key_id": anchor.key_id,
        "timestamp": timestamp_dict(anchor),
    }


def unanchored_days(session: Session, zone: ZoneInfo, until: date) -> list[date]:
    """Days after the last anchored one (or from the first event) up to ``until``: the days tree
    grows in order, so an earlier gap can no longer be filled."""
    last = session.scalar(select(func.max(ChainAnchor.day)))
    if last is None:
        first = session.scalar(select(func.min(CaseEvent.occurred_at)))
        if first is None:
            return []
        day = first.astimezone(zone).date()
    else:
        day = last + timedelta(days=1)
    days = []
    while day <= until:
        days.append(day)
        day += timedelta(days=1)
    return days


def list_anchors(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    return [
        anchor_dict(anchor)
        for anchor in session.scalars(select(ChainAnchor).order_by(ChainAnchor.day.desc()).limit(limit))
    ]


# ---------------------------------------------------------------------- checking the anchors
def verify_anchors(
    engine,
    *,
    hmac_key: bytes | None = None,
    since: date | None = None,
    witnessed: Mapping[str, Mapping[str, Any]] | None = None,
    tsa_certificates: list | None = None,
) -> dict[str, Any]:
    """Check every anchor (from ``since``): its heads make its signed roots, the signature holds
    under the key recorded for its day, the tree over days grows only by appending, each
    anchored event is still in the log with the same hash (or left it by retention), and —
    when given — the roots equal the witnessed ones and the timestamps hold."""
    problems: list[dict[str, Any]] = []
    checked = archived = 0
    witnessed = dict(witnessed or {})
    with engine.read() as session:
        keys = PublicKeys(public_keys_document(session))
        query = select(ChainAnchor).order_by(ChainAnchor.day)
        anchors = list(session.scalars(query))
        days = merkle.CompactRange()
        for anchor in anchors:
            if anchor.scheme == SCHEME_MERKLE:
                days.append(merkle.leaf_hash(day_leaf(anchor.day.isoformat(), anchor.cases, anchor.digest)))
            if since is not None and anchor.day < since:
                continue
            heads = stored_heads(session, anchor.id)
            if anchor.scheme == SCHEME_MERKLE:
                found = _check_signed(anchor, heads, days, keys, hmac_key, witnessed.pop(anchor.day.isoformat(), None))
                found += _check_timestamp(anchor, tsa_certificates)
            else:
                found = _check_hmac(anchor, heads, hmac_key)
            left, in_log = _check_in_log(session, anchor)
            problems += [{"day": anchor.day.isoformat(), **item} for item in found + in_log]
            archived += left
            checked += anchor.cases
    for day in sorted(witnessed):
        if since is None or day >= since.isoformat():
            problems.append({"day": day, "message": "a witnessed day has no anchor any more: it was removed"})
    return {
        "anchors": len([a for a in anchors if since is None or a.day >= since]),
        "heads_checked": checked,
        "heads_archived": archived,
        "ok": not problems,
        "problems": problems,
    }


def _check_signed(anchor, heads, days, keys: PublicKeys, hmac_key, witnessed) -> list[dict]:
    found = []
    root = signed_root(anchor)
    if heads_tree(heads).root().hex() != anchor.digest or len(heads) != anchor.cases:
        found.append({"message": "the anchored heads do not make the signed root: they were altered"})
    if (anchor.days, anchor.days_root) != (days.size, days.root().hex()):
        found.append({"message": "the tree over days does not extend the days before it: an anchor was altered"})
    problem = keys.problem_with(root)
    if problem:
        found.append({"message": f"the signed root: {problem}"})
    if (
        hmac_key
        and anchor.signature
        and not hmac.compare_digest(hmac_seal(hmac_key, anchor.day, anchor.digest), anchor.signature)
    ):
        found.append({"message": "the HMAC does not match the root: the anchor was altered"})
    if witnessed is not None:
        changed = differences(root, witnessed)
        if changed:
            found.append({"message": f"the signed root differs from the witnessed one ({', '.join(changed)})"})
    return found


def _check_timestamp(anchor: ChainAnchor, certificates: list | None) -> list[dict]:
    if anchor.timestamp_response is None:
        return []
    root = signed_root(anchor)
    try:
        timestamps.read_response(unb64(anchor.timestamp_response), statement_bytes(root))
    except ValueError as error:
        return [{"message": f"the timestamp does not match the signed root ({error}): the root was altered"}]
    problem = timestamps.problem_with(root, certificates) if certificates else None
    return [{"message": f"the timestamp: {problem}"}] if problem else []


def _check_hmac(anchor: ChainAnchor, heads, key: bytes | None) -> list[dict]:
    found = []
    if key is None:
        found.append({"message": "made with an HMAC: set ONESTOP_ANCHOR_KEY to check it"})
    elif anchor.key_id != key_fingerprint(key):
        found.append({"message": f"signed with another key ({anchor.key_id}); cannot be checked with this one"})
    elif not hmac.compare_digest(hmac_seal(key, anchor.day, anchor.digest), anchor.signature or ""):
        found.append({"message": "the signature does not match the digest: the anchor was altered"})
    if legacy_digest(heads) != anchor.digest or len(heads) != anchor.cases:
        found.append({"message": "the anchored heads do not match the signed digest: they were altered"})
    return found


def _check_in_log(session: Session, anchor: ChainAnchor) -> tuple[int, list[dict]]:
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
    found, archived = [], 0
    for row in rows:
        where = {"case_id": row.case_id, "seq": row.seq}
        if row.live is None and row.archived_hash is not None:
            archived += 1  # left the log through retention, recorded in case_archives
            if row.seq == row.archived_events and row.archived_hash != row.hash:
                found.append({**where, "message": "the archived case's last event differs from the anchored one"})
        elif row.live is None:
            found.append({**where, "message": "an anchored event is missing from the log"})
        elif row.live != row.hash:
            found.append({**where, "message": "an anchored event's hash changed: the history was rewritten"})
    return archived, found


def rfc3161_timestamper(url: str, timeout_seconds: float) -> Timestamper:
    """A timestamper that asks the RFC 3161 authority at ``url`` over HTTP."""
    import requests

    def stamp_statement(message: bytes) -> tuple[str, bytes]:
        response = requests.post(
            url,
            data=timestamps.request_for(message),
            headers={"Content-Type": "application/timestamp-query"},
            timeout=timeout_seconds,
        )
        response.raise_for_status()
        return url, response.content

    return stamp_statement
