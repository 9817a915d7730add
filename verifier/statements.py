"""What the office signs and how it is encoded: the leaves of the trees, the signed root of a day,
the published public keys, and RFC 3161 timestamps over signed roots.

- A **head leaf** (one per case changed that day, in case-id order) is the canonical JSON of
  ``{"case_id", "seq", "hash"}``: the case's last event of the day.
- A **day leaf** (one per anchored day, in day order) is the canonical JSON of
  ``{"day", "cases", "root"}``: the day's tree.
- The **signed root** of a day is the canonical JSON of ``{"format": "onestop-signed-root/1",
  "day", "cases", "root", "days", "days_root", "key_id"}`` (``root`` over the day's heads,
  ``days_root`` over the day leaves of every anchored day up to this one), signed with Ed25519.
- A **key id** is the first 16 hex digits of SHA-256 of the raw 32-byte public key.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date
from typing import Any, Iterable, Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from verifier.chain import canonical_json

SIGNED_ROOT_FORMAT = "onestop-signed-root/1"
KEYS_FORMAT = "onestop-public-keys/1"
STATEMENT_FIELDS = ("day", "cases", "root", "days", "days_root", "key_id")


def head_leaf(case_id: str, seq: int, event_hash: str) -> bytes:
    return canonical_json({"case_id": case_id, "seq": seq, "hash": event_hash}).encode("utf-8")


def day_leaf(day: str, cases: int, root: str) -> bytes:
    return canonical_json({"day": day, "cases": cases, "root": root}).encode("utf-8")


def statement(signed_root: Mapping[str, Any]) -> dict[str, Any]:
    return {"format": SIGNED_ROOT_FORMAT, **{name: signed_root[name] for name in STATEMENT_FIELDS}}


def statement_bytes(signed_root: Mapping[str, Any]) -> bytes:
    """The exact bytes the office signs (and a timestamp authority stamps) for a day."""
    return canonical_json(statement(signed_root)).encode("utf-8")


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:16]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


class PublicKeys:
    """The office's published keys, each valid for the days from ``valid_from`` to ``valid_until``
    (open-ended while in use). An old key stays valid for the days it signed."""

    def __init__(self, document: Mapping[str, Any]):
        if document.get("format") != KEYS_FORMAT:
            raise ValueError(f"not a public keys document ({KEYS_FORMAT})")
        self.keys = {item["key_id"]: item for item in document["keys"]}
        for item in self.keys.values():
            if key_id(unb64(item["public_key"])) != item["key_id"]:
                raise ValueError(f"key {item['key_id']} does not match its public key")

    def problem_with(self, signed_root: Mapping[str, Any]) -> str | None:
        """Why the signature of this signed root does not hold; None if it does."""
        item = self.keys.get(signed_root.get("key_id"))
        if item is None:
            return f"signed with key {signed_root.get('key_id')}, which is not among the published keys"
        day = signed_root["day"]
        if day < item["valid_from"] or (item.get("valid_until") and day > item["valid_until"]):
            return f"signed with key {item['key_id']}, which is valid from {item['valid_from']} to {item.get('valid_until') or 'now'}, not on {day}"
        if not self.verify(item["key_id"], signed_root["signature"], statement_bytes(signed_root)):
            return "its signature does not match the signed root (the root or its signature was altered)"
        return None

    def verify(self, key: str, signature: str, message: bytes) -> bool:
        item = self.keys.get(key)
        if item is None:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(unb64(item["public_key"])).verify(unb64(signature), message)
        except (InvalidSignature, ValueError):
            return False
        return True


def differences(signed_root: Mapping[str, Any], witnessed: Mapping[str, Any]) -> list[str]:
    """The statement fields in which a signed root differs from the witnessed one of its day."""
    return [name for name in STATEMENT_FIELDS if signed_root.get(name) != witnessed.get(name)]


def witnessed_by_day(files: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every signed root of the bureau's monthly files, by day."""
    return {item["day"]: item for document in files for item in document.get("roots", [])}


def is_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except (TypeError, ValueError):
        return False
    return True
