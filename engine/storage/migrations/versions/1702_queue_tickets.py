"""queue_tickets and queue_ticket_cases: the counter queue (號碼牌)

Revision ID: 1702
Revises: 1701
Create Date: 2026-12-01 12:00:00

Tickets visitors draw per kind of service, called to a counter, served or not there when called,
and the cases each visit produced: the waiting and service minutes of the counter.
"""

from alembic import op
import sqlalchemy as sa


revision = "1702"
down_revision = "1701"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=True),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("counter", sa.String(length=20), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("served_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_tickets")),
        sa.UniqueConstraint("day", "service", "seq", name="uq_queue_tickets_day_service_seq"),
    )
    with op.batch_alter_table("queue_tickets", schema=None) as batch_op:
        batch_op.create_index("ix_queue_tickets_status_issued", ["status", "issued_at"], unique=False)
        batch_op.create_index("ix_queue_tickets_issued_at", ["issued_at"], unique=False)
    op.create_table(
        "queue_ticket_cases",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("linked_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_queue_ticket_cases_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["queue_tickets.id"], name=op.f("fk_queue_ticket_cases_ticket_id_queue_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", "case_id", name=op.f("pk_queue_ticket_cases")),
    )
    with op.batch_alter_table("queue_ticket_cases", schema=None) as batch_op:
        batch_op.create_index("ix_queue_ticket_cases_case", ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("queue_ticket_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_ticket_cases_case")
    op.drop_table("queue_ticket_cases")
    with op.batch_alter_table("queue_tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_tickets_issued_at")
        batch_op.drop_index("ix_queue_tickets_status_issued")
    op.drop_table("queue_tickets")
