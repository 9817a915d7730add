"""cases.idempotency_key: each key is its sender's own

Revision ID: 1552
Revises: 1551
Create Date: 2026-12-02 08:10:00

A case's Idempotency-Key was one namespace for everyone: another user sending the same key got
the first user's case and its access code. The column now holds sha256(actor NUL key)
(engine.cases.inputs.sender_key); the keys already stored are rewritten with the
actor of their case's first event, so a retry by the same sender still finds its case.
"""

import hashlib

from alembic import op
import sqlalchemy as sa


revision = "1552"
down_revision = "1551"
branch_labels = None
depends_on = None

cases = sa.table("cases", sa.column("id", sa.String), sa.column("idempotency_key", sa.String))
events = sa.table(
    "case_events", sa.column("case_id", sa.String), sa.column("seq", sa.Integer), sa.column("actor", sa.String)
)


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(cases.c.id, cases.c.idempotency_key, events.c.actor)
        .select_from(cases.outerjoin(events, sa.and_(events.c.case_id == cases.c.id, events.c.seq == 1)))
        .where(cases.c.idempotency_key.is_not(None))
    ).all()
    for case_id, key, actor in rows:
        scoped = hashlib.sha256(f"{actor or ''}\x00{key}".encode()).hexdigest()
        connection.execute(sa.update(cases).where(cases.c.id == case_id).values(idempotency_key=scoped))


def downgrade() -> None:
    # The keys cannot be recovered from their hashes: retries after a downgrade start new cases.
    op.execute(sa.update(cases).values(idempotency_key=None))
