"""report_targets and survey_answers: the office's targets per indicator, the survey answers

Revision ID: 1703
Revises: 1702
Create Date: 2026-12-01 15:00:00

The targets the office sets for the indicators of its monthly and annual review (red, amber,
green), and the applicants' answers to the satisfaction survey of their service type.
"""

from alembic import op
import sqlalchemy as sa


revision = "1703"
down_revision = "1702"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_targets",
        sa.Column("indicator", sa.String(length=60), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("amber", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("indicator", name=op.f("pk_report_targets")),
    )
    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("survey", sa.String(length=40), nullable=False),
        sa.Column("question", sa.String(length=60), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_survey_answers_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
        sa.UniqueConstraint("case_id", "question", name="uq_survey_answers_case_question"),
    )
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.create_index("ix_survey_answers_answered_at", ["answered_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_answers_answered_at")
    op.drop_table("survey_answers")
    op.drop_table("report_targets")
