"""Case work: the responsible officer, the clerks' search keys, how a case was closed, task drafts

Revision ID: 1602
Revises: 1703
Create Date: 2026-12-02 11:00:00

cases: officer (承辦人), close_kind (withdrawn or cancelled), applicant_name, applicant_name_key,
applicant_id_digest, applicant_phone (what the clerks' search finds a case by), with their
indexes and one on (due_at, id) (sorting by due date). tasks: draft, draft_saved_at, draft_saved_by.
users: phone (shown to the applicants of the cases the user is responsible for).
Cases started before get their officer when a clerk next works them, and their search keys from
`onestop cases index-applicants` (run once after the upgrade).
"""

from alembic import op
import sqlalchemy as sa


revision = "1602"
down_revision = "1703"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("officer", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("close_kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("applicant_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("applicant_name_key", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("applicant_id_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("applicant_phone", sa.String(length=30), nullable=True))
        batch_op.create_index("ix_cases_due", ["due_at", "id"], unique=False)
        batch_op.create_index("ix_cases_officer_received", ["officer", "received_at", "id"], unique=False)
        batch_op.create_index("ix_cases_applicant_id_digest", ["applicant_id_digest"], unique=False)
        batch_op.create_index("ix_cases_applicant_phone", ["applicant_phone"], unique=False)
        batch_op.create_index(
            "ix_cases_applicant_name_key",
            ["applicant_name_key"],
            unique=False,
            postgresql_ops={"applicant_name_key": "text_pattern_ops"},
        )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("draft_saved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("draft_saved_by", sa.String(length=200), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=50), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("phone")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("draft_saved_by")
        batch_op.drop_column("draft_saved_at")
        batch_op.drop_column("draft")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_applicant_name_key")
        batch_op.drop_index("ix_cases_applicant_phone")
        batch_op.drop_index("ix_cases_applicant_id_digest")
        batch_op.drop_index("ix_cases_officer_received")
        batch_op.drop_index("ix_cases_due")
        for column in ("applicant_phone", "applicant_id_digest", "applicant_name_key", "applicant_name"):
            batch_op.drop_column(column)
        batch_op.drop_column("close_kind")
        batch_op.drop_column("officer")
