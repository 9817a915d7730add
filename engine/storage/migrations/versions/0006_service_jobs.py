"""service_jobs: the calls waiting service tasks make through a worker

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 14:30:00

One row per service task that waits for an asynchronous operation (another agency's system),
written in the transaction of the command that left the task waiting; see engine/jobs.py.
"""

from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("element_id", sa.String(length=200), nullable=True),
        sa.Column("operation", sa.String(length=200), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("backoff_base", sa.Float(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempt_log", sa.JSON(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_service_jobs_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_jobs")),
        sa.UniqueConstraint("task_id", name=op.f("uq_service_jobs_task_id")),
    )
    with op.batch_alter_table("service_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_jobs_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_service_jobs_status_next", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("service_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_service_jobs_status_next")
        batch_op.drop_index(batch_op.f("ix_service_jobs_case_id"))
    op.drop_table("service_jobs")
