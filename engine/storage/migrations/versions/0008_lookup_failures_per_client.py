"""public_lookup_failures.client: wrong access codes are counted per caller

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 16:00:00

A case number's public lookup was locked for everyone after five wrong codes, so anyone could
lock an applicant out of their own case. Failures now count per caller (and per caller across
all case numbers, to slow down guessing over many numbers).
"""

from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("public_lookup_failures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client", sa.String(length=64), server_default="", nullable=False))
        batch_op.create_index("ix_public_lookup_failures_client_at", ["client", "failed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("public_lookup_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_public_lookup_failures_client_at")
        batch_op.drop_column("client")
