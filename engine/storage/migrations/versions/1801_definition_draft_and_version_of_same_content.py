"""definitions: the same content may be stored once as a draft and once as an executable version

Revision ID: 1801
Revises: 1651
Create Date: 2026-12-02 10:00:00

A designer imports a file as a draft to fix it in the modeller; when the very same content then
passes (the office gained the group its lane names, or it was imported as a draft to look at
first), deploying it stores an executable version beside the draft. The unique key on
(process_key, content_hash) becomes (process_key, content_hash, draft).
"""

from alembic import op


revision = "1801"
down_revision = "1651"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("definitions") as batch:
        batch.drop_constraint("uq_definitions_key_hash", type_="unique")
        batch.create_unique_constraint("uq_definitions_key_hash_draft", ["process_key", "content_hash", "draft"])


def downgrade() -> None:
    with op.batch_alter_table("definitions") as batch:
        batch.drop_constraint("uq_definitions_key_hash_draft", type_="unique")
        batch.create_unique_constraint("uq_definitions_key_hash", ["process_key", "content_hash"])
