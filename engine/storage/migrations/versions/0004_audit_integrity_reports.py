"""Audit: verification runs, signed chain anchors, case archives, report indexes, and an
append-only guard on case_events

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 14:00:00

The guard is a trigger. On PostgreSQL it refuses UPDATE, DELETE and TRUNCATE on case_events for
every role (the table's owner or a superuser can still disable it: that is a deliberate,
visible act, not something the application does). The one DELETE it lets through is
retention's: the transaction says so (``SET LOCAL onestop.retention_purge = 'on'``) and the
case is already recorded in case_archives. SQLite gets the same rules without the setting.
"""

from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PG_GUARD_FUNCTION = """
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
PG_TRIGGERS = (
    "CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events "
    "FOR EACH ROW EXECUTE FUNCTION onestop_case_events_append_only()",
    "CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION onestop_case_events_append_only()",
)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events "
    "BEGIN SELECT RAISE(ABORT, 'case_events is append-only: UPDATE is refused'); END",
    "CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events "
    "WHEN NOT EXISTS (SELECT 1 FROM case_archives WHERE case_archives.case_id = OLD.case_id) "
    "BEGIN SELECT RAISE(ABORT, 'case_events is append-only: DELETE is refused'); END",
)


def upgrade() -> None:
    _create_tables()
    _create_report_indexes()
    _create_guard()


def _create_tables() -> None:
    op.create_table(
        "verification_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("cases_checked", sa.Integer(), nullable=False),
        sa.Column("cases_failed", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("first_failed_case_id", sa.String(length=36), nullable=True),
        sa.Column("first_failed_number", sa.String(length=20), nullable=True),
        sa.Column("first_divergent_seq", sa.Integer(), nullable=True),
        sa.Column("first_problem", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_runs")),
    )
    with op.batch_alter_table("verification_runs", schema=None) as batch_op:
        batch_op.create_index("ix_verification_runs_started_at", ["started_at"], unique=False)

    op.create_table(
        "verification_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("first_divergent_seq", sa.Integer(), nullable=True),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["verification_runs.id"], name=op.f("fk_verification_failures_run_id_verification_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_failures")),
    )
    with op.batch_alter_table("verification_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_verification_failures_run_id"), ["run_id"], unique=False)

    op.create_table(
        "chain_anchors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_anchors")),
        sa.UniqueConstraint("day", name=op.f("uq_chain_anchors_day")),
    )
    op.create_table(
        "chain_anchor_heads",
        sa.Column("anchor_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["anchor_id"], ["chain_anchors.id"], name=op.f("fk_chain_anchor_heads_anchor_id_chain_anchors")
        ),
        sa.PrimaryKeyConstraint("anchor_id", "case_id", name=op.f("pk_chain_anchor_heads")),
    )
    op.create_table(
        "case_archives",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("procedure_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_by", sa.String(length=200), nullable=False),
        sa.Column("archive_file", sa.String(length=500), nullable=False),
        sa.Column("record_sha256", sa.String(length=64), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("last_event_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_archives")),
        sa.UniqueConstraint("number", name=op.f("uq_case_archives_number")),
    )


def _create_report_indexes() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_status_closed", ["status", "closed_at"], unique=False)
        batch_op.create_index("ix_cases_status_due", ["status", "due_at"], unique=False)
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_status_completed", ["status", "completed_at"], unique=False)
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.create_index("ix_ratings_rated_at", ["rated_at"], unique=False)
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index("ix_case_events_type_case", ["type", "case_id"], unique=False)
        batch_op.create_index("ix_case_events_occurred_at", ["occurred_at"], unique=False)


def _create_guard() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_GUARD_FUNCTION)
        for statement in PG_TRIGGERS:
            op.execute(statement)
    elif dialect == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS case_events_no_truncate ON case_events")
        op.execute("DROP TRIGGER IF EXISTS case_events_append_only ON case_events")
        op.execute("DROP FUNCTION IF EXISTS onestop_case_events_append_only()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS case_events_no_delete")
        op.execute("DROP TRIGGER IF EXISTS case_events_no_update")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index("ix_case_events_occurred_at")
        batch_op.drop_index("ix_case_events_type_case")
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_index("ix_ratings_rated_at")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_status_completed")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_status_due")
        batch_op.drop_index("ix_cases_status_closed")
    op.drop_table("case_archives")
    op.drop_table("chain_anchor_heads")
    op.drop_table("chain_anchors")
    with op.batch_alter_table("verification_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verification_failures_run_id"))
    op.drop_table("verification_failures")
    with op.batch_alter_table("verification_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_verification_runs_started_at")
    op.drop_table("verification_runs")
