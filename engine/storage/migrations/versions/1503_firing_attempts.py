"""firing_attempts: a firing of a case's timers that began and has not ended

Revision ID: 1503
Revises: 1552
Create Date: 2026-12-02 12:20:00

A script stuck in one C call (``sorted`` over a list of the same huge row many times over)
cannot be stopped by the sandbox; its process is killed from outside, and the next scheduler
would run the same firing again. A row here, committed before the firing, lets the next one
record an incident instead (engine.storage.incidents.FiringAttempt).
"""

from alembic import op
import sqlalchemy as sa

revision = "1503"
down_revision = "1552"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "firing_attempts",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("case_version", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_firing_attempts_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_firing_attempts")),
    )


def downgrade() -> None:
    op.drop_table("firing_attempts")
