"""What the office hands out for checking without it (the formats: docs/integrity.md):

- ``case_proof``: one case's history with, for every signed day it changed on, the inclusion
  proof of its head in that day's tree and the day's signed root (``onestop-case-proof/1``) —
  what an auditor or the applicant checks with ``python -m verifier case``;
- ``consistency``: the proof that the tree over days of one size extends a smaller one;
- ``witnessed_file``: the month's signed roots, signed as a whole, with the consistency proof
  from the month before (``onestop-witnessed-roots/1``): the file the bureau keeps;
- ``office_export``: every signed day of a period with all its heads, and the history of every
  case changed in it (``onestop-office-export/1``): the annual review's input.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any, Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import CaseAccess
from engine.audit.anchoring import days_tree, heads_tree, merkle_anchors, signed_root, stored_heads
from engine.audit.signing import Signer, public_keys_document, require_signer
from engine.errors import InvalidInput, NotFound
from engine.storage import queries
from engine.storage.audit_models import SCHEME_MERKLE, CaseArchive, ChainAnchor, ChainAnchorHead
from engine.storage.eventlog import exported
from engine.storage.models import Case
from verifier.check import CASE_FORMAT, OFFICE_FORMAT, WITNESSED_FORMAT, file_signing_bytes
from verifier.statements import b64


def _case_header(case) -> dict[str, Any]:
    return {"id": case.id, "number": case.number, "procedure": case.procedure_key, "status": case.status}


def case_proof(engine, case_id: str, zone: ZoneInfo, access: CaseAccess | None = None) -> dict[str, Any]:
    """The case's history and the inclusion proof of each of its signed days (if ``access``
    reaches the case; None: the system)."""
    with engine.read() as session:
        case = queries.get_case(session, case_id, access)
        events = [exported(event) for event in queries.case_events(session, case_id)]
        anchors = session.scalars(
            select(ChainAnchor)
            .join(ChainAnchorHead, ChainAnchorHead.anchor_id == ChainAnchor.id)
            .where(ChainAnchorHead.case_id == case_id, ChainAnchor.scheme == SCHEME_MERKLE)
            .order_by(ChainAnchor.day)
        ).all()
        proofs = [_inclusion(session, anchor, case_id) for anchor in anchors]
        return {
            "format": CASE_FORMAT,
            "timezone": zone.key,
            "case": _case_header(case),
            "events": events,
            "proofs": proofs,
            "public_keys": public_keys_document(session),
        }


def _inclusion(session: Session, anchor: ChainAnchor, case_id: str) -> dict[str, Any]:
    heads = stored_heads(session, anchor.id)
    index = next(position for position, head in enumerate(heads) if head[0] == case_id)
    path = heads_tree(heads).inclusion_proof(index)
    return {
        "head": {"case_id": case_id, "seq": heads[index][1], "hash": heads[index][2]},
        "leaf_index": index,
        "path": [b64(node) for node in path],
        "signed_root": signed_root(anchor),
    }


def consistency(engine, old_days: int, new_days: int | None = None) -> dict[str, Any]:
    """The proof that the tree over the first ``old_days`` anchored days is a prefix of the tree
    over ``new_days`` (default: all)."""
    with engine.read() as session:
        tree = days_tree(merkle_anchors(session))
    new_days = tree.size if new_days is None else new_days
    if not 0 <= old_days <= new_days <= tree.size:
        raise InvalidInput(
            f"There are {tree.size} signed days: sizes must satisfy 0 <= from <= to <= {tree.size}",
            errors=[{"field": "from", "message": f"not between 0 and {new_days}"}],
        )
    return _consistency(tree, old_days, new_days)


def _consistency(tree, old_days: int, new_days: int) -> dict[str, Any]:
    return {
        "from_days": old_days,
        "from_root": tree.root(old_days).hex(),
        "to_days": new_days,
        "to_root": tree.root(new_days).hex(),
        "proof": [b64(node) for node in tree.consistency_proof(old_days, new_days)],
    }


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM``."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise InvalidInput(
            f"A month is written YYYY-MM, not {month!r}", errors=[{"field": "month", "message": "not YYYY-MM"}]
        ) from None
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def witnessed_file(engine, month: str, signer: Signer | None) -> dict[str, Any]:
    """The month's signed roots for the bureau to keep, signed as a whole by the current key."""
    signer = require_signer(signer)
    first, last = month_bounds(month)
    with engine.read() as session:
        anchors = merkle_anchors(session, until=last)
        keys = public_keys_document(session)
    roots = [signed_root(anchor) for anchor in anchors if anchor.day >= first]
    if not roots:
        raise NotFound(f"No day of {month} is signed yet", month=month)
    tree = days_tree(anchors)
    before = len(anchors) - len(roots)
    document = {
        "format": WITNESSED_FORMAT,
        "month": month,
        "public_keys": keys,
        "roots": roots,
        "consistency": _consistency(tree, before, tree.size) if before else None,
        "key_id": signer.key_id,
    }
    document["signature"] = signer.sign(file_signing_bytes(document))
    return document


def office_export(engine, since: date, until: date, zone: ZoneInfo) -> Iterator[str]:
    """The annual review's export, as JSON text in pieces (one case history at a time, so a
    year of an office never sits in memory whole)."""
    with engine.read() as session:
        anchors = [a for a in merkle_anchors(session, until=until) if a.day >= since]
        days = [
            {"signed_root": signed_root(a), "heads": [list(h) for h in stored_heads(session, a.id)]} for a in anchors
        ]
        case_ids = sorted({head[0] for item in days for head in item["heads"]})
        archived = [
            {"case_id": row.case_id, "number": row.number, "archive_file": row.archive_file}
            for row in session.scalars(select(CaseArchive).where(CaseArchive.case_id.in_(case_ids)))
        ]
        keys = public_keys_document(session)
    header = {
        "format": OFFICE_FORMAT,
        "timezone": zone.key,
        "from": since.isoformat(),
        "until": until.isoformat(),
        "public_keys": keys,
        "days": days,
        "archived": archived,
    }
    text = json.dumps(header, ensure_ascii=False)
    yield text[:-1] + ', "cases": ['
    first = True
    for case_id in case_ids:
        with engine.read() as session:
            case = session.get(Case, case_id)
            if case is None:  # archived (listed above) or gone: the verifier says which
                continue
            record = {
                "case": _case_header(case),
                "events": [exported(e) for e in queries.case_events(session, case_id)],
            }
        yield ("" if first else ", ") + json.dumps(record, ensure_ascii=False)
        first = False
    yield "]}"
