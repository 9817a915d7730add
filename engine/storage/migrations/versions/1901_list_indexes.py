"""Lists and the inbox from indexes: tasks.effective_due_at and the indexes the lists read

Revision ID: 1901
Revises: 1801
Create Date: 2026-12-02 12:00:00

The inbox sorted by coalesce(task due date, case due date), which no index holds: every page
joined and sorted all the open tasks of the clerk's lanes. ``tasks.effective_due_at`` keeps that
value on the task (the commands keep it current), and partial indexes hold the open tasks in
that order. The case lists filter and sort on columns that the new indexes hold, so that a page is
found without reading case rows (a row carries its serialized state, tens of kilobytes). Indexes
they replace are dropped: cases (status, procedure_key) and (received_at), tasks (status, lane,
due_at); the timer index keeps only cases that have a timer.
"""

from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = "1901"
down_revision = "1801"
branch_labels = None
depends_on = None

OPEN_TASK = sa.text("status IN ('ready', 'claimed')")
HAS_TIMER = sa.text("next_timer_at IS NOT NULL")
NO_DUE_DATE = "9999-12-31 00:00:00.000000"  # as UTCDateTime stores it on SQLite


def upgrade() -> None:
    connection = op.get_bind()
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("effective_due_at", sa.DateTime(timezone=True), nullable=True))
    connection.execute(
        sa.text(
            "UPDATE tasks SET effective_due_at = COALESCE(tasks.due_at, "
            "(SELECT cases.due_at FROM cases WHERE cases.id = tasks.case_id), :none) "
            "WHERE status IN ('ready', 'claimed')"
        ),
        {"none": NO_DUE_DATE if connection.dialect.name == "sqlite" else datetime(9999, 12, 31, tzinfo=timezone.utc)},
    )
    op.drop_index("ix_tasks_status_lane_due", table_name="tasks")
    op.drop_index("ix_tasks_case", table_name="tasks")
    op.create_index(
        "ix_tasks_open_lane_due",
        "tasks",
        ["lane", "effective_due_at", "created_at", "id", "assignee"],
        sqlite_where=OPEN_TASK,
        postgresql_where=OPEN_TASK,
    )
    op.create_index(
        "ix_tasks_open_due",
        "tasks",
        ["effective_due_at", "created_at", "id", "assignee"],
        sqlite_where=OPEN_TASK,
        postgresql_where=OPEN_TASK,
    )
    op.create_index("ix_tasks_case", "tasks", ["case_id", "lane"])

    op.drop_index("ix_cases_status_procedure", table_name="cases")
    op.drop_index("ix_cases_received_at", table_name="cases")
    op.drop_index("ix_cases_next_timer_at", table_name="cases")
    op.drop_index("ix_cases_status_due", table_name="cases")
    op.create_index("ix_cases_received", "cases", ["received_at", "id"])
    op.create_index("ix_cases_status_received", "cases", ["status", "received_at", "id", "due_at"])
    op.create_index("ix_cases_procedure_received", "cases", ["procedure_key", "received_at", "id", "status"])
    op.create_index("ix_cases_status_due", "cases", ["status", "due_at", "received_at", "id"])
    op.create_index(
        "ix_cases_next_timer_at", "cases", ["next_timer_at"], sqlite_where=HAS_TIMER, postgresql_where=HAS_TIMER
    )


def downgrade() -> None:
    op.drop_index("ix_cases_next_timer_at", table_name="cases")
    op.drop_index("ix_cases_status_due", table_name="cases")
    op.drop_index("ix_cases_procedure_received", table_name="cases")
    op.drop_index("ix_cases_status_received", table_name="cases")
    op.drop_index("ix_cases_received", table_name="cases")
    op.create_index("ix_cases_status_due", "cases", ["status", "due_at"])
    op.create_index("ix_cases_next_timer_at", "cases", ["next_timer_at"])
    op.create_index("ix_cases_received_at", "cases", ["received_at"])
    op.create_index("ix_cases_status_procedure", "cases", ["status", "procedure_key"])

    op.drop_index("ix_tasks_case", table_name="tasks")
    op.drop_index("ix_tasks_open_due", table_name="tasks")
    op.drop_index("ix_tasks_open_lane_due", table_name="tasks")
    op.create_index("ix_tasks_case", "tasks", ["case_id"])
    op.create_index("ix_tasks_status_lane_due", "tasks", ["status", "lane", "due_at"])
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("effective_due_at")
