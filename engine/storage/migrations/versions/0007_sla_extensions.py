"""cases.sla_extended_amount: standard time a diagram granted itself (slaExtension)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 15:00:00

How much standard time (in the procedure's unit) the case's diagram added to its own period by
finishing elements marked slaExtension, e.g. a complaint's one extension; see docs/timers.md.
"""

from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla_extended_amount", sa.Float(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("sla_extended_amount")
