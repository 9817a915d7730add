"""incidents: cases whose automatic work failed, held until a supervisor retries or cancels

Revision ID: 1501
Revises: 1602
Create Date: 2026-12-01 09:00:00

One row per incident (engine/storage/incidents.py), and on each case the incident holding its
timers (``timer_incident_id``: while it is set, the scheduler wakes the case only at its SLA due
date, to record the breach; the held timers stay held).
"""

from alembic import op
import sqlalchemy as sa


revision = "1501"
down_revision = "1602"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("procedure_key", sa.String(length=200), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("element_id", sa.String(length=200), nullable=True),
        sa.Column("element_name", sa.String(length=300), nullable=True),
        sa.Column("error_type", sa.String(length=100), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("retry_payload", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("resolution_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_incidents_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_status_procedure", ["status", "procedure_key"], unique=False)
        batch_op.create_index("ix_incidents_case", ["case_id"], unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timer_incident_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("timer_incident_id")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_case")
        batch_op.drop_index("ix_incidents_status_procedure")
    op.drop_table("incidents")
