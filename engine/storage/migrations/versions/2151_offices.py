"""offices: cases, tasks, users and case numbers per office; calendar closures per place

Revision ID: 2151
Revises: 2101
Create Date: 2026-12-02 14:00:00

An install becomes one of many offices: the default office ("main") is created and every case,
task and case-number counter so far is its; users name their offices (none: the default office).
Calendar overrides may hold for one county/city (and district) only.
"""

from alembic import op
import sqlalchemy as sa


revision = "2151"
down_revision = "2101"
branch_labels = None
depends_on = None

OPEN_TASK_SQL = "status IN ('ready', 'claimed')"


def upgrade() -> None:
    offices = op.create_table(
        "offices",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("district", sa.String(length=100), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("counters", sa.Integer(), server_default="1", nullable=False),
        sa.Column("opening_hours", sa.JSON(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_offices")),
    )
    op.execute(offices.insert().values(code="main", name="main", created_at=sa.func.current_timestamp()))
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("office", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("received_office", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("received_by", sa.String(length=100), nullable=True))
    op.execute("UPDATE cases SET office = 'main', received_office = 'main'")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_office_received", ["office", "received_at", "id"], unique=False)
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("office", sa.String(length=12), nullable=True))
    op.execute("UPDATE tasks SET office = 'main'")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tasks_open_office_lane_due",
            ["office", "lane", "effective_due_at", "created_at", "id"],
            unique=False,
            sqlite_where=sa.text(OPEN_TASK_SQL),
            postgresql_where=sa.text(OPEN_TASK_SQL),
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("offices", sa.JSON(), nullable=True))
    op.execute("UPDATE users SET offices = '[]'")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("offices", existing_type=sa.JSON(), nullable=False)
    # Numbers count per office and year: the year's counter so far is the default office's.
    op.create_table(
        "case_number_counters_2151",
        sa.Column("office", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
    )
    op.execute("INSERT INTO case_number_counters_2151 SELECT 'main', year, last_number FROM case_number_counters")
    op.drop_table("case_number_counters")
    op.create_table(
        "case_number_counters",
        sa.Column("office", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("office", "year", name=op.f("pk_case_number_counters")),
    )
    op.execute("INSERT INTO case_number_counters SELECT office, year, last_number FROM case_number_counters_2151")
    op.drop_table("case_number_counters_2151")
    with op.batch_alter_table("calendar_overrides", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("district", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calendar_overrides", schema=None) as batch_op:
        batch_op.drop_column("district")
        batch_op.drop_column("region")
    op.execute("DELETE FROM case_number_counters WHERE office <> 'main'")
    with op.batch_alter_table("case_number_counters", schema=None) as batch_op:
        batch_op.drop_constraint("pk_case_number_counters", type_="primary")
        batch_op.drop_column("office")
        batch_op.create_primary_key("pk_case_number_counters", ["year"])
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("offices")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_open_office_lane_due", sqlite_where=sa.text(OPEN_TASK_SQL))
        batch_op.drop_column("office")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_office_received")
        batch_op.drop_column("received_by")
        batch_op.drop_column("received_office")
        batch_op.drop_column("office")
    op.drop_table("offices")
