"""improvement_runs: what-if runs of the improvement loop, with their inputs and results

Revision ID: 2201
Revises: 2151
Create Date: 2026-12-02 14:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = "2201"
down_revision = "2151"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "improvement_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_improvement_runs")),
    )
    op.create_index("ix_improvement_runs_requested_at", "improvement_runs", ["requested_at"])


def downgrade() -> None:
    op.drop_index("ix_improvement_runs_requested_at", table_name="improvement_runs")
    op.drop_table("improvement_runs")
