"""The append-only, hash-chained event log of each case.

Each event's hash covers its content and the hash of the case's previous event, so editing,
removing or reordering any event breaks the chain from that point on. The event also carries
the hash of the case state after its command, which lets replay name the first event whose
recorded outcome differs from what the events themselves produce.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from engine.events import PendingEvent
from engine.storage.models import CaseEvent

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 as is: the same text for the same content, always."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def as_stored(payload: Any) -> Any:
    """The payload as the database will give it back (JSON turns tuples into lists and int keys
    into str), with key order kept: replay applies this payload, and SpiffWorkflow's data
    deltas follow dict order."""
    return json.loads(json.dumps(payload, ensure_ascii=False))


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


HASHED_FIELDS = ("case_id", "seq", "command_id", "type", "occurred_at", "actor", "element_id", "payload", "state_hash")


def event_hash(event: CaseEvent | dict[str, Any]) -> str:
    """sha256 of the previous event's hash followed by this event's content."""
    value = event.get if isinstance(event, dict) else lambda name: getattr(event, name)
    content = {name: value(name) for name in HASHED_FIELDS}
    content["occurred_at"] = format_time(content["occurred_at"])
    return hashlib.sha256((value("prev_hash") + canonical_json(content)).encode("utf-8")).hexdigest()


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
        row = {
            "case_id": case_id,
            "seq": after_seq + offset,
            "command_id": command_id,
            "type": item.type,
            "occurred_at": occurred_at,
            "actor": item.actor,
            "element_id": item.element_id,
            "payload": as_stored(item.payload),
            "state_hash": state_hash,
            "prev_hash": prev_hash,
        }
        row["hash"] = prev_hash = event_hash(row)
        rows.append(row)
    return rows


def first_broken_link(events: list[CaseEvent]) -> tuple[CaseEvent, str] | None:
    """The first event whose chain does not hold, with the reason; None if all hold."""
    prev_hash = GENESIS_HASH
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            return event, f"sequence number {event.seq} where {expected_seq} was expected (an event is missing)"
        if event.prev_hash != prev_hash:
            return event, "its link to the previous event does not match (an event before it was changed or removed)"
        if event_hash(event) != event.hash:
            return event, "its content does not match its hash (the event was edited)"
        prev_hash = event.hash
    return None
