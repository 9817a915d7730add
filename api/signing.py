"""The audit side's keys and witnesses, from the settings (config/audit.py): the signing key
(loaded when needed, never stored), the timestamp authority and its certificate."""

from __future__ import annotations

import json
from pathlib import Path

from bootstrap import audit_signer, audit_timestamper
from config.audit import AuditSettings, load_audit_settings
from verifier.statements import witnessed_by_day

# Built in the composition root, where the scheduler's daily anchor gets them too.
signer, timestamper = audit_signer, audit_timestamper


def tsa_certificates(settings: AuditSettings | None = None) -> list:
    from verifier.timestamps import load_certificates

    pem = (settings or load_audit_settings()).tsa_certificate()
    return load_certificates(pem) if pem else []


def witnessed_roots(paths: list[str]) -> dict:
    """The bureau's monthly files, by day."""
    return witnessed_by_day(json.loads(Path(path).read_text(encoding="utf-8")) for path in paths)
