"""Event hashing: events of version 1 keep verifying as they were written, version-2 events
commit to salted digests so that a value can be removed without breaking the chain, and every
other change is caught."""

from __future__ import annotations

import copy
import hashlib
import json

from verifier.chain import GENESIS_HASH, event_hash, first_broken_link, value_digest

CONTENT = {
    "case_id": "c-1",
    "command_id": "k-1",
    "type": "task_completed",
    "occurred_at": "2026-03-02T01:00:00.000000+00:00",
    "actor": "clerk-1",
    "element_id": "receive_application",
    "state_hash": "ab" * 32,
}


def v1_event(seq, prev_hash, payload):
    """Hashed as the office hashed before version 2 (written out here, not taken from the code)."""
    event = {**CONTENT, "seq": seq, "payload": payload, "prev_hash": prev_hash, "hash_version": 1}
    content = {name: event[name] for name in [*CONTENT, "seq", "payload"]}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return {**event, "hash": hashlib.sha256((prev_hash + text).encode()).hexdigest()}


def v2_event(seq, prev_hash, payload):
    salts = {key: f"{index:032x}" for index, key in enumerate(payload)}
    event = {**CONTENT, "seq": seq, "payload": payload, "payload_salts": salts, "prev_hash": prev_hash}
    event |= {"hash_version": 2, "redacted": None}
    return {**event, "hash": event_hash(event)}


def history():
    first = v1_event(1, GENESIS_HASH, {"data": {"name": "王小明"}})
    second = v2_event(2, first["hash"], {"task_id": "t-1", "data": {"national_id": "A123456789"}})
    third = v2_event(3, second["hash"], {"task_id": "t-2"})
    return [first, second, third]


def redact(event, key):
    """Remove a value and its salt, keep its digest: what anonymisation does."""
    event["redacted"] = {key: value_digest(event["payload_salts"][key], key, event["payload"][key])}
    del event["payload"][key], event["payload_salts"][key]


def test_both_versions_chain():
    assert first_broken_link(history()) is None


def test_a_redacted_value_keeps_the_chain_and_cannot_be_guessed_back():
    events = history()
    redact(events[1], "data")
    assert first_broken_link(events) is None and "A123456789" not in json.dumps(events)
    guess = {**events[1], "payload": {**events[1]["payload"], "data": {"national_id": "A123456789"}}}
    assert first_broken_link([events[0], guess, events[2]])[1].startswith("its payload has values")


def test_every_change_is_caught():
    changes = {
        "the v1 payload": lambda e: e[0]["payload"]["data"].update(name="李大同"),
        "a v2 value": lambda e: e[1]["payload"].update(task_id="t-9"),
        "a salt": lambda e: e[1]["payload_salts"].update(task_id="f" * 32),
        "the actor": lambda e: e[2].update(actor="mallory"),
        "the hash version": lambda e: e[1].update(hash_version=1),
        "a redacted digest": lambda e: (redact(e[1], "data"), e[1]["redacted"].update(data="0" * 64)),
        "an added value": lambda e: e[2]["payload"].update(note="added later"),
        "a removed event": lambda e: e.pop(1),
    }
    for what, change in changes.items():
        events = copy.deepcopy(history())
        change(events)
        assert first_broken_link(events) is not None, what
