"""Tables of the office's own measures: the targets it sets for its indicators, and the answers
applicants give to its satisfaction surveys. Generic: which indicators and which questions are
the domain pack's.

Imported by the storage package, so that these tables are part of the schema Alembic compares
against.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.storage.models import Base


class ReportTarget(Base):
    """The office's target for one indicator: met (green), nearly (amber: within ``amber``),
    or not (red). ``higher_is_better`` says which way."""

    __tablename__ = "report_targets"

    indicator: Mapped[str] = mapped_column(String(60), primary_key=True)
    target: Mapped[float] = mapped_column(Float)
    amber: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(200))


class SurveyAnswer(Base):
    """One applicant's answer to one question of the satisfaction survey of their case."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("case_id", "question", name="uq_survey_answers_case_question"),
        Index("ix_survey_answers_answered_at", "answered_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    survey: Mapped[str] = mapped_column(String(40))  # the question set, chosen by the case's channel
    question: Mapped[str] = mapped_column(String(60))
    score: Mapped[int] = mapped_column(Integer)  # 1..5
    answered_at: Mapped[datetime]


class ImprovementRun(Base):
    """A what-if run of the improvement loop: its inputs, where it stands and its result (the
    domain pack runs it; this is its record). ``status``: queued, running, done, failed."""

    __tablename__ = "improvement_runs"
    __table_args__ = (Index("ix_improvement_runs_requested_at", "requested_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    inputs: Mapped[dict]
    result: Mapped[dict | None]
    error: Mapped[str | None] = mapped_column(Text)
