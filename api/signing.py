"""The audit side's keys and witnesses, from the settings (config/audit.py): the signing key
(loaded when needed, never stored), the timestamp authority and its certificate."""

from __future__ import annotations

import json
from pathlib import Path

from config.audit import AuditSettings, load_audit_settings
from engine.audit import Signer, anchoring
from verifier.statements import witnessed_by_day


def signer(settings: AuditSettings | None = None) -> Signer | None:
    pem = (settings or load_audit_settings()).signing_key()
    return Signer.from_pem(pem) if pem else None


def timestamper(settings: AuditSettings | None = None):
    settings = settings or load_audit_settings()
    if not settings.tsa_url:
        return None
    return anchoring.rfc3161_timestamper(settings.tsa_url, settings.tsa_timeout_seconds)


def tsa_certificates(settings: AuditSettings | None = None) -> list:
    from verifier.timestamps import load_certificates

    pem = (settings or load_audit_settings()).tsa_certificate()
    return load_certificates(pem) if pem else []


def witnessed_roots(paths: list[str]) -> dict:
    """The bureau's monthly files, by day."""
    return witnessed_by_day(json.loads(Path(path).read_text(encoding="utf-8")) for path in paths)
