"""personal_data_reads: who read whose national ID numbers unmasked, and when

Revision ID: 1551
Revises: 1502
Create Date: 2026-12-02 08:00:00

National ID numbers are masked in every answer unless the caller asks for them unmasked (and
their role allows it); each such read is recorded here for auditors.
"""

from alembic import op
import sqlalchemy as sa


revision = "1551"
down_revision = "1502"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "personal_data_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reader", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("case_number", sa.String(length=20), nullable=False),
        sa.Column("view", sa.String(length=40), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_data_reads")),
    )
    op.create_index("ix_personal_data_reads_read_at", "personal_data_reads", ["read_at"], unique=False)
    op.create_index("ix_personal_data_reads_case_id", "personal_data_reads", ["case_id"], unique=False)
    op.create_index("ix_personal_data_reads_reader", "personal_data_reads", ["reader", "read_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_personal_data_reads_reader", table_name="personal_data_reads")
    op.drop_index("ix_personal_data_reads_case_id", table_name="personal_data_reads")
    op.drop_index("ix_personal_data_reads_read_at", table_name="personal_data_reads")
    op.drop_table("personal_data_reads")
