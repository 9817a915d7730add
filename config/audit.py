"""Settings of the audit side, from environment variables (docs/integrity.md, docs/deployment.md).

- ``ONESTOP_SIGNING_KEY_FILE``: the Ed25519 private key (PKCS#8 PEM) that signs the daily roots;
  or ``ONESTOP_SIGNING_KEY``: the same PEM text, from a secret store through the environment.
  Never in the database; ``onestop audit keys generate FILE`` makes one.
- ``ONESTOP_ANCHOR_KEY``: an HMAC secret. Before public-key anchors it was the only seal; it still
  checks the anchors made with it and, when set, adds an HMAC to new ones.
- ``ONESTOP_TSA_URL``: an RFC 3161 timestamp authority that stamps every signed root;
  ``ONESTOP_TSA_CERT``: its certificate (PEM file) for the office's own checks;
  ``ONESTOP_TSA_TIMEOUT``: seconds to wait for it (default 10).
- ``ONESTOP_ANCHOR_EVERY_SECONDS``: how often the scheduler (embedded, or Celery beat) looks
  for days to anchor and timestamps to retry (default 600; 0 leaves anchoring to cron). It
  anchors only with a signing key configured.
- ``ONESTOP_RETENTION_DAYS``: how many days after closing a case is kept (unset: forever).
- ``ONESTOP_RETENTION_BY_PROCEDURE``: per-procedure periods, e.g. ``complaint=1825,household_transcript=1095``.
- ``ONESTOP_ARCHIVE_FOLDER``: where retention writes its archive files (default ``instance/archive``).
- ``ONESTOP_ANONYMISE_DAYS`` / ``ONESTOP_ANONYMISE_BY_PROCEDURE``: days after closing when a case's
  personal values are removed in place (unset: never).

See docs/retention.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AuditSettings:
    anchor_key: bytes | None = None
    signing_key_file: str | None = None
    signing_key_pem: str | None = None
    tsa_url: str | None = None
    tsa_cert_file: str | None = None
    tsa_timeout_seconds: float = 10.0
    anchor_every_seconds: float = 600.0
    retention_days: str | None = None
    retention_by_procedure: str | None = None
    archive_folder: str = "instance/archive"
    anonymise_days: str | None = None
    anonymise_by_procedure: str | None = None

    def signing_key(self) -> bytes | None:
        """The private key's PEM, read when needed (the file may be mounted after start)."""
        if self.signing_key_pem:
            return self.signing_key_pem.encode("utf-8")
        if self.signing_key_file:
            return Path(self.signing_key_file).read_bytes()
        return None

    def tsa_certificate(self) -> bytes | None:
        return Path(self.tsa_cert_file).read_bytes() if self.tsa_cert_file else None


def load_audit_settings(environ: dict | None = None) -> AuditSettings:
    env = environ if environ is not None else os.environ
    key = env.get("ONESTOP_ANCHOR_KEY")
    return AuditSettings(
        anchor_key=key.encode("utf-8") if key else None,
        signing_key_file=env.get("ONESTOP_SIGNING_KEY_FILE") or None,
        signing_key_pem=env.get("ONESTOP_SIGNING_KEY") or None,
        tsa_url=env.get("ONESTOP_TSA_URL") or None,
        tsa_cert_file=env.get("ONESTOP_TSA_CERT") or None,
        tsa_timeout_seconds=float(env.get("ONESTOP_TSA_TIMEOUT") or AuditSettings.tsa_timeout_seconds),
        anchor_every_seconds=float(env.get("ONESTOP_ANCHOR_EVERY_SECONDS") or AuditSettings.anchor_every_seconds),
        retention_days=env.get("ONESTOP_RETENTION_DAYS") or None,
        retention_by_procedure=env.get("ONESTOP_RETENTION_BY_PROCEDURE") or None,
        archive_folder=env.get("ONESTOP_ARCHIVE_FOLDER", AuditSettings.archive_folder),
        anonymise_days=env.get("ONESTOP_ANONYMISE_DAYS") or None,
        anonymise_by_procedure=env.get("ONESTOP_ANONYMISE_BY_PROCEDURE") or None,
    )
