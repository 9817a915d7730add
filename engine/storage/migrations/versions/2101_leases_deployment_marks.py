"""Leases and deployment marks: what several app nodes share instead of local files

Revision ID: 2101
Revises: 1503
Create Date: 2026-12-02 13:50:00

- ``leases``: work done by one process at a time across every node (the embedded scheduler's
  leadership, the active Celery beat), held until ``expires_at`` by the database's clock and
  renewed by its holder; replaces the scheduler's lock file, which only one machine could see.
- ``deployment_marks``: facts each node checks at start, such as the identity of the document
  store all nodes must share.
"""

from alembic import op
import sqlalchemy as sa


revision = "2101"
down_revision = "1503"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "deployment_marks",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_deployment_marks")),
    )


def downgrade() -> None:
    op.drop_table("deployment_marks")
    op.drop_table("leases")
