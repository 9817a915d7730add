"""Public-key anchors, Merkle trees and redactable events

Revision ID: 2301
Revises: 1601
Create Date: 2026-12-02 10:00:00

- ``case_events``: ``hash_version`` (1 for every event written before, which keep verifying as
  they were), ``payload_salts`` and ``redacted`` for version 2 (docs/integrity.md).
- ``chain_anchors``: the scheme, the tree over days, the Ed25519 signature, the RFC 3161
  timestamp; the HMAC becomes optional.
- ``signing_keys`` (public keys only) and ``case_redactions``.
- The append-only guard on ``case_events`` now lets through one kind of UPDATE: anonymisation of
  a version-2 event of a case recorded in ``case_redactions`` (on PostgreSQL, in a transaction
  that declares it with ``SET LOCAL onestop.anonymise = 'on'``), changing nothing but
  ``payload``, ``payload_salts`` and ``redacted``: every hashed field and the hash stay.
"""

from alembic import op
import sqlalchemy as sa


revision = "2301"
down_revision = "1601"
branch_labels = None
depends_on = None

UNCHANGED = (
    "NEW.id = OLD.id AND NEW.case_id = OLD.case_id AND NEW.seq = OLD.seq AND NEW.command_id = OLD.command_id "
    "AND NEW.type = OLD.type AND NEW.occurred_at = OLD.occurred_at AND NEW.state_hash = OLD.state_hash "
    "AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash AND NEW.hash_version = OLD.hash_version "
    "AND OLD.hash_version >= 2"
)
PG_GUARD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION onestop_case_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('onestop.retention_purge', true) = 'on' THEN
    IF EXISTS (SELECT 1 FROM case_archives WHERE case_archives.case_id = OLD.case_id) THEN
      RETURN OLD;
    END IF;
  END IF;
  IF TG_OP = 'UPDATE' AND current_setting('onestop.anonymise', true) = 'on' THEN
    IF EXISTS (SELECT 1 FROM case_redactions WHERE case_redactions.case_id = OLD.case_id)
       AND {UNCHANGED}
       AND NEW.actor IS NOT DISTINCT FROM OLD.actor AND NEW.element_id IS NOT DISTINCT FROM OLD.element_id THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'case_events is append-only: % is refused', TG_OP
    USING ERRCODE = '42501',
          HINT = 'A case''s history changes only by appending events; closed cases leave it through retention.';
END
$$
"""
PG_OLD_GUARD_FUNCTION = """
CREATE OR REPLACE FUNCTION onestop_case_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('onestop.retention_purge', true) = 'on' THEN
    IF EXISTS (SELECT 1 FROM case_archives WHERE case_archives.case_id = OLD.case_id) THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION 'case_events is append-only: % is refused', TG_OP
    USING ERRCODE = '42501',
          HINT = 'A case''s history changes only by appending events; closed cases leave it through retention.';
END
$$
"""
SQLITE_UPDATE_GUARD = (
    "CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events "
    "WHEN NOT (EXISTS (SELECT 1 FROM case_redactions WHERE case_redactions.case_id = OLD.case_id) "
    f"AND {UNCHANGED} AND NEW.actor IS OLD.actor AND NEW.element_id IS OLD.element_id) "
    "BEGIN SELECT RAISE(ABORT, 'case_events is append-only: UPDATE is refused'); END"
)
SQLITE_OLD_UPDATE_GUARD = (
    "CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events "
    "BEGIN SELECT RAISE(ABORT, 'case_events is append-only: UPDATE is refused'); END"
)


def upgrade() -> None:
    # Plain ADD COLUMN (no batch): on SQLite a rebuilt table would lose its triggers.
    op.add_column("case_events", sa.Column("hash_version", sa.Integer(), server_default="1", nullable=False))
    op.add_column("case_events", sa.Column("payload_salts", sa.JSON(), nullable=True))
    op.add_column("case_events", sa.Column("redacted", sa.JSON(), nullable=True))
    with op.batch_alter_table("chain_anchors", schema=None) as batch_op:
        batch_op.alter_column("key_id", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("signature", existing_type=sa.String(length=64), nullable=True)
        batch_op.add_column(sa.Column("scheme", sa.String(length=20), server_default="hmac-sha256", nullable=False))
        batch_op.add_column(sa.Column("days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("days_root", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("signing_key_id", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("root_signature", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("timestamp_response", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("timestamp_authority", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("timestamped_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("timestamp_error", sa.Text(), nullable=True))
    op.create_table(
        "signing_keys",
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("algorithm", sa.String(length=20), nullable=False),
        sa.Column("public_key", sa.String(length=100), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_signing_keys")),
    )
    op.create_table(
        "case_redactions",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redacted_by", sa.String(length=200), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("keys", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_redactions")),
    )
    _guard(PG_GUARD_FUNCTION, SQLITE_UPDATE_GUARD)


def _guard(pg_function: str, sqlite_update_trigger: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(pg_function)
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS case_events_no_update")
        op.execute(sqlite_update_trigger)


def downgrade() -> None:
    _guard(PG_OLD_GUARD_FUNCTION, SQLITE_OLD_UPDATE_GUARD)
    op.drop_table("case_redactions")
    op.drop_table("signing_keys")
    with op.batch_alter_table("chain_anchors", schema=None) as batch_op:
        for column in (
            "timestamp_error",
            "timestamped_at",
            "timestamp_authority",
            "timestamp_response",
            "root_signature",
            "signing_key_id",
            "days_root",
            "days",
            "scheme",
        ):
            batch_op.drop_column(column)
    op.drop_column("case_events", "redacted")
    op.drop_column("case_events", "payload_salts")
    op.drop_column("case_events", "hash_version")
