"""cases.served_at and sla_standard: the service point and the standard a path chose; wake at the due date

Revision ID: 1701
Revises: 1901
Create Date: 2026-12-01 09:00:00

A procedure marks the element where its service is delivered (serviceDelivered): the SLA clock
stops when the case finishes it, and the reports judge the case by that moment (docs/timers.md).
A path of a diagram may hold the case to another standard of its procedure (slaStandard, e.g. a
move-in that needs a residence check): ``sla_standard`` names it.
Breaches and one BPMN element's tasks (the low-rating follow-ups) are read by period for the
review's figures: indexed. The scheduler now also wakes a running case at its due date, so that a breach is recorded
whatever path led past it: running cases get that wake-up here.
"""

from alembic import op
import sqlalchemy as sa


revision = "1701"
down_revision = "1901"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("served_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sla_standard", sa.String(length=100), nullable=True))
        batch_op.create_index("ix_cases_served_at", ["served_at"], unique=False)
        batch_op.create_index("ix_cases_overdue_at", ["overdue_at"], unique=False)
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_element_created", ["element_id", "created_at"], unique=False)
    op.execute(
        "UPDATE cases SET next_timer_at = due_at WHERE status = 'running' AND due_at IS NOT NULL "
        "AND overdue_at IS NULL AND sla_paused_at IS NULL AND (next_timer_at IS NULL OR next_timer_at > due_at)"
    )


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_element_created")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_overdue_at")
        batch_op.drop_index("ix_cases_served_at")
        batch_op.drop_column("sla_standard")
        batch_op.drop_column("served_at")
