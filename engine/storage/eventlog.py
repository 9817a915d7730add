"""The append-only, hash-chained event log of each case.

Each event's hash covers its content and the hash of the case's previous event, so editing,
removing or reordering any event breaks the chain from that point on. The event also carries
the hash of the case state after its command, which lets replay name the first event whose
recorded outcome differs from what the events themselves produce.

The hashing itself is the offline verifier's (``verifier/chain.py``), so the office and the
auditor compute the same thing. New events are written with hash version 2: each payload key
is committed to through a salted digest, so that anonymisation can later remove personal values
without breaking the chain (docs/integrity.md).
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

from engine.events import PendingEvent
from engine.storage.models import CaseEvent
from verifier import chain
from verifier.chain import GENESIS_HASH, canonical_json, format_time

__all__ = ["GENESIS_HASH", "as_stored", "canonical_json", "chain_events", "event_hash", "first_broken_link"]

EXPORTED_FIELDS = (*chain.V1_FIELDS, "prev_hash", "hash", "hash_version", "payload_salts", "redacted")


def as_stored(payload: Any) -> Any:
    """The payload as the database will give it back (JSON turns tuples into lists and int keys
    into str), with key order kept: replay applies this payload, and SpiffWorkflow's data
    deltas follow dict order."""
    return json.loads(json.dumps(payload, ensure_ascii=False))


def exported(event: CaseEvent | dict[str, Any]) -> dict[str, Any]:
    """An event as the exports and the verifier carry it (times as UTC ISO text)."""
    value = event.get if isinstance(event, dict) else lambda name: getattr(event, name)
    row = {name: value(name) for name in EXPORTED_FIELDS}
    row["occurred_at"] = format_time(row["occurred_at"])
    row["hash_version"] = row["hash_version"] or 1
    return row


def event_hash(event: CaseEvent | dict[str, Any]) -> str:
    """sha256 of the previous event's hash followed by this event's content."""
    return chain.event_hash(exported(event))


def _salts(payload: dict[str, Any]) -> dict[str, str]:
    """A random 16-byte salt per key, drawn in one call (each draw is a system call)."""
    drawn = secrets.token_hex(16 * len(payload))
    return {key: drawn[32 * index : 32 * (index + 1)] for index, key in enumerate(payload)}


def chain_events(
    case_id: str,
    command_id: str,
    pending: list[PendingEvent],
    *,
    occurred_at: datetime,
    after_seq: int,
    after_hash: str,
    state_hash: str,
) -> list[dict[str, Any]]:
    """Turn a command's pending events into rows that continue the case's hash chain."""
    rows = []
    prev_hash = after_hash
    for offset, item in enumerate(pending, start=1):
        payload = as_stored(item.payload)
        row = {
            "case_id": case_id,
            "seq": after_seq + offset,
            "command_id": command_id,
            "type": item.type,
            "occurred_at": occurred_at,
            "actor": item.actor,
            "element_id": item.element_id,
            "payload": payload,
            "state_hash": state_hash,
            "prev_hash": prev_hash,
            "hash_version": chain.CURRENT_VERSION,
            "payload_salts": _salts(payload),
            "redacted": None,
        }
        row["hash"] = prev_hash = event_hash(row)
        rows.append(row)
    return rows


def first_broken_link(events: list[CaseEvent]) -> tuple[CaseEvent, str] | None:
    """The first event whose chain does not hold, with the reason; None if all hold."""
    broken = chain.first_broken_link([exported(event) for event in events])
    if broken is None:
        return None
    position, reason = broken
    return events[position], reason
