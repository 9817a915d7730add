"""The office's signing key (Ed25519) and the record of its public keys.

The private key lives outside the database: a PEM file (``ONESTOP_SIGNING_KEY_FILE``) or the
service's environment (``ONESTOP_SIGNING_KEY``); the entrypoints load it and hand the engine a
``Signer``. Only public keys are stored (``signing_keys``), each with the days it is valid for:
the first key is recorded when it first signs, a rotation (``activate``) closes the old key the
day before the new one starts, and the old key stays valid for the days it signed. The public
keys document is what the office publishes (``GET /api/audit/keys``, the annual report).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import Conflict, InvalidInput
from engine.storage.audit_models import SCHEME_MERKLE, ChainAnchor, SigningKey
from verifier.statements import KEYS_FORMAT, b64, key_id

ALGORITHM = "ed25519"


class Signer:
    """An Ed25519 private key, held in memory only."""

    def __init__(self, private_key: Ed25519PrivateKey):
        self._private_key = private_key
        self.public_key = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.key_id = key_id(self.public_key)

    @classmethod
    def from_pem(cls, pem: bytes) -> Signer:
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as error:
            raise InvalidInput(
                f"The signing key cannot be read: {error}", errors=[{"field": "signing_key", "message": str(error)}]
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise InvalidInput(
                "The signing key must be an Ed25519 key",
                errors=[{"field": "signing_key", "message": "not an Ed25519 private key"}],
            )
        return cls(key)

    def sign(self, message: bytes) -> str:
        return b64(self._private_key.sign(message))


def generate_private_pem() -> bytes:
    """A new Ed25519 private key as PKCS#8 PEM (unencrypted: protect the file, mode 0600)."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def require_signer(signer: Signer | None) -> Signer:
    if signer is None:
        raise InvalidInput(
            "No signing key is configured (set ONESTOP_SIGNING_KEY_FILE; see docs/deployment.md)",
            errors=[{"field": "signing_key", "message": "required"}],
        )
    return signer


def key_dict(key: SigningKey) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "algorithm": key.algorithm,
        "public_key": key.public_key,
        "valid_from": key.valid_from.isoformat(),
        "valid_until": key.valid_until.isoformat() if key.valid_until else None,
        "recorded_at": key.recorded_at.isoformat(),
        "recorded_by": key.recorded_by,
    }


def public_keys_document(session: Session) -> dict[str, Any]:
    """Every public key the office has signed with, oldest first: what it publishes."""
    keys = session.scalars(select(SigningKey).order_by(SigningKey.valid_from, SigningKey.key_id))
    return {"format": KEYS_FORMAT, "keys": [key_dict(key) for key in keys]}


def last_signed_day(session: Session) -> date | None:
    return session.scalar(select(func.max(ChainAnchor.day)).where(ChainAnchor.scheme == SCHEME_MERKLE))


def key_for_day(session: Session, signer: Signer, day: date, *, now: datetime, actor: str) -> SigningKey:
    """The record of ``signer``'s key, which must be valid on ``day``; the very first key is
    recorded here, valid from ``day``."""
    key = session.get(SigningKey, signer.key_id)
    if key is None and session.scalar(select(func.count()).select_from(SigningKey)) == 0:
        key = _record(session, signer, day, now=now, actor=actor)
    if key is None:
        raise Conflict(
            f"The configured signing key {signer.key_id} is not recorded: activate it first "
            "(onestop audit keys activate)",
            key_id=signer.key_id,
        )
    if day < key.valid_from or (key.valid_until is not None and day > key.valid_until):
        raise Conflict(
            f"The signing key {key.key_id} is valid from {key.valid_from} to {key.valid_until or 'now'}, not on {day}",
            key_id=key.key_id,
            day=day.isoformat(),
        )
    return key


def _record(session: Session, signer: Signer, valid_from: date, *, now: datetime, actor: str) -> SigningKey:
    key = SigningKey(
        key_id=signer.key_id,
        algorithm=ALGORITHM,
        public_key=b64(signer.public_key),
        valid_from=valid_from,
        recorded_at=now,
        recorded_by=actor,
    )
    session.add(key)
    session.flush()
    return key


def activate(engine, signer: Signer, *, actor: str, valid_from: date | None = None) -> dict[str, Any]:
    """Record ``signer``'s public key as the office's key from ``valid_from`` on (default: the day
    after the last signed day, or today), closing the key in use the day before. Days already
    signed keep their key: the new one may start only after the last signed day."""
    now = engine.clock.now()
    with engine.write() as session:
        if session.get(SigningKey, signer.key_id) is not None:
            raise Conflict(f"The key {signer.key_id} is already recorded", key_id=signer.key_id)
        last = last_signed_day(session)
        start = valid_from or (last + timedelta(days=1) if last else now.date())
        if last is not None and start <= last:
            raise Conflict(
                f"{last} is already signed: a new key can start on {last + timedelta(days=1)} at the earliest",
                last_signed_day=last.isoformat(),
            )
        current = session.scalars(select(SigningKey).where(SigningKey.valid_until.is_(None))).all()
        for key in current:
            if start <= key.valid_from:
                raise Conflict(
                    f"The key {key.key_id} starts on {key.valid_from}: the new key must start after it",
                    key_id=key.key_id,
                )
            key.valid_until = start - timedelta(days=1)
        return key_dict(_record(session, signer, start, now=now, actor=actor))
