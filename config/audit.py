"""Settings of the audit side, from environment variables.

- ``ONESTOP_ANCHOR_KEY``: the secret that signs the daily chain-head anchors (HMAC-SHA256). Keep
  it outside the database (a secret store, the service's environment): whoever holds it can
  forge anchors. Without it, anchors are neither made nor checked.
- ``ONESTOP_RETENTION_DAYS``: how many days after closing a case is kept (unset: forever).
- ``ONESTOP_RETENTION_BY_PROCEDURE``: per-procedure periods, e.g. ``complaint=1825,household_transcript=1095``.
- ``ONESTOP_ARCHIVE_FOLDER``: where retention writes its archive files (default ``instance/archive``).

See docs/retention.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class AuditSettings:
    anchor_key: bytes | None = None
    retention_days: str | None = None
    retention_by_procedure: str | None = None
    archive_folder: str = "instance/archive"


def load_audit_settings(environ: dict | None = None) -> AuditSettings:
    env = environ if environ is not None else os.environ
    key = env.get("ONESTOP_ANCHOR_KEY")
    return AuditSettings(
        anchor_key=key.encode("utf-8") if key else None,
        retention_days=env.get("ONESTOP_RETENTION_DAYS") or None,
        retention_by_procedure=env.get("ONESTOP_RETENTION_BY_PROCEDURE") or None,
        archive_folder=env.get("ONESTOP_ARCHIVE_FOLDER", AuditSettings.archive_folder),
    )
