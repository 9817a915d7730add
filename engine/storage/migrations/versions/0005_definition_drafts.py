"""definitions.draft: uploads stored as drafts (downloadable, not startable)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 13:40:00

A draft is a procedure whose XML is sound but which cannot run as it is (a process marked not
executable, or elements the engine does not run). Existing definitions all passed the full
deploy checks, so they are not drafts.
"""

from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("definitions") as batch:
        batch.add_column(sa.Column("draft", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("definitions") as batch:
        batch.drop_column("draft")
