"""Each payload value of a stored event is hashed with a salt of its own (so that removing one
value for anonymisation reveals nothing of the others)."""

from __future__ import annotations

from datetime import datetime, timezone

from engine.events import PendingEvent
from engine.storage import GENESIS_HASH, chain_events


def _stored(payload: dict) -> dict:
    [row] = chain_events(
        "case-1",
        "command-1",
        [PendingEvent("task_completed", "clerk", payload)],
        occurred_at=datetime(2026, 3, 2, tzinfo=timezone.utc),
        after_seq=0,
        after_hash=GENESIS_HASH,
        state_hash="0" * 64,
    )
    return row


def test_every_payload_key_gets_its_own_random_salt():
    payload = {"task_id": "t-1", "data": {"copies": 2}, "element_id": "issue", "actor": "clerk"}
    first, again = _stored(payload), _stored(payload)
    salts = first["payload_salts"]
    assert set(salts) == set(payload)
    assert all(len(salt) == 32 and int(salt, 16) >= 0 for salt in salts.values())  # 16 bytes each
    assert len(set(salts.values())) == len(payload)  # one per key
    assert set(salts.values()).isdisjoint(again["payload_salts"].values())  # drawn anew for every event
