"""The hash chain of one case's events, as exported.

Each event's ``hash`` is SHA-256 of the previous event's hash (64 zeros before the first)
followed by the canonical JSON of its content (sorted keys, no spaces, UTF-8 as is). What the
content holds depends on the event's ``hash_version``:

- **1** (events written before redactable hashing): ``case_id, seq, command_id, type,
  occurred_at, actor, element_id, payload, state_hash``. The payload is hashed as it is, so it
  can never be removed without breaking the event's own hash.
- **2**: the same, but instead of ``payload`` the content holds ``payload_digests`` (one salted
  digest per top-level payload key, ``SHA-256(salt || canonical JSON of [key, value])``, with a
  random 16-byte salt per key) and ``hash_version: 2``. Anonymisation may later remove a key's
  value *and its salt*, keeping only its digest in ``redacted``: the event's hash still holds,
  and without the salt the removed value cannot be guessed back from the digest.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Mapping

GENESIS_HASH = "0" * 64
V1_FIELDS = ("case_id", "seq", "command_id", "type", "occurred_at", "actor", "element_id", "payload", "state_hash")
V2_FIELDS = ("case_id", "seq", "command_id", "type", "occurred_at", "actor", "element_id", "state_hash")
CURRENT_VERSION = 2


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 as is: the same text for the same content, always."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def format_time(moment: datetime | str) -> str:
    """Times are hashed as UTC ISO 8601 with microseconds (exports carry them that way)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def value_digest(salt_hex: str, key: str, value: Any) -> str:
    return hashlib.sha256(bytes.fromhex(salt_hex) + canonical_json([key, value]).encode("utf-8")).hexdigest()


def payload_digests(event: Mapping[str, Any]) -> dict[str, str]:
    """The digest of every payload key: computed from value and salt, or kept from a redaction.
    A key present with no salt has no digest (the verifier reports it as added)."""
    salts = event.get("payload_salts") or {}
    digests = dict(event.get("redacted") or {})
    for key, value in (event.get("payload") or {}).items():
        if key in salts:
            digests[key] = value_digest(salts[key], key, value)
    return digests


def event_content(event: Mapping[str, Any]) -> dict[str, Any]:
    version = event.get("hash_version") or 1
    if version == 1:
        content = {name: event.get(name) for name in V1_FIELDS}
    elif version == 2:
        content = {name: event.get(name) for name in V2_FIELDS}
        content["payload_digests"] = payload_digests(event)
        content["hash_version"] = 2
    else:
        raise ValueError(f"unknown hash version {version!r}")
    content["occurred_at"] = format_time(content["occurred_at"])
    return content


def event_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 of the previous event's hash followed by this event's content."""
    return hashlib.sha256((event["prev_hash"] + canonical_json(event_content(event))).encode("utf-8")).hexdigest()


def content_problem(event: Mapping[str, Any]) -> str | None:
    """What is wrong with an event's content itself, whatever its hash says."""
    version = event.get("hash_version") or 1
    if version not in (1, 2):
        return f"its hash version {version!r} is unknown"
    if version == 1:
        return None
    payload, salts = event.get("payload") or {}, event.get("payload_salts") or {}
    unsalted = sorted(set(payload) - set(salts))
    if unsalted:
        return f"its payload has values the event never committed to ({', '.join(unsalted)}): added later"
    both = sorted(set(payload) & set(event.get("redacted") or {}))
    if both:
        return f"its payload holds values it also lists as redacted ({', '.join(both)})"
    return None


def first_broken_link(events: list[Mapping[str, Any]]) -> tuple[int, str] | None:
    """(position, reason) of the first event whose chain does not hold; None if all hold.
    Events are mappings with the exported fields, in ``seq`` order."""
    prev_hash = GENESIS_HASH
    for position, event in enumerate(events):
        expected_seq = position + 1
        if event.get("seq") != expected_seq:
            return (
                position,
                f"sequence number {event.get('seq')} where {expected_seq} was expected (an event is missing)",
            )
        if event.get("prev_hash") != prev_hash:
            return position, "its link to the previous event does not match (an event before it was changed or removed)"
        problem = content_problem(event)
        if problem is not None:
            return position, problem
        if event_hash(event) != event.get("hash"):
            return position, "its content does not match its hash (the event was edited)"
        prev_hash = event["hash"]
    return None


def redacted_keys(event: Mapping[str, Any]) -> list[str]:
    return sorted(event.get("redacted") or {})
