"""heartbeats: the shared record of the deployment's health

Revision ID: 1502
Revises: 1501
Create Date: 2026-12-01 10:00:00

One row per live process and one for the scheduling process (engine/storage/heartbeats.py), so
that every process answers /api/health about the whole deployment.
"""

from alembic import op
import sqlalchemy as sa


revision = "1502"
down_revision = "1501"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "heartbeats",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_heartbeats")),
    )
    with op.batch_alter_table("heartbeats", schema=None) as batch_op:
        batch_op.create_index("ix_heartbeats_beat_at", ["beat_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("heartbeats", schema=None) as batch_op:
        batch_op.drop_index("ix_heartbeats_beat_at")
    op.drop_table("heartbeats")
