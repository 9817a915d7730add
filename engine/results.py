"""What the engine's commands answer: the case started, the case changed, a bulk move's outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class OpenTask:
    id: str
    element_id: str
    name: str | None
    lane: str | None


@dataclass(frozen=True)
class StartedCase:
    case_id: str
    number: str
    access_code: str
    definition_id: int
    version: int
    received_at: datetime
    open_tasks: tuple[OpenTask, ...] = ()
    existing: bool = False  # True when an idempotency key matched an earlier start
    wake_at: datetime | None = None  # see CaseChanged
    # What the receipt shows: the procedure, channel and due date, and what the case recorded
    # when it started ({"data": ..., "applicant": ...}).
    procedure_key: str = ""
    procedure_name: str | None = None
    channel: str = ""
    due_at: datetime | None = None
    received: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CaseChanged:
    case_id: str
    status: str
    last_event_seq: int
    open_tasks: tuple[OpenTask, ...] = ()
    # When the case next needs the scheduler: its earliest timer, or now if the command queued
    # an agency call. The embedded scheduler reads it instead of asking the database.
    wake_at: datetime | None = None


@dataclass(frozen=True)
class MoveOutcome:
    """One case of a bulk move: ``moved``, or ``blocked`` (``blocked_by`` names the
    elements) or ``failed`` (e.g. it changed meanwhile; ``reason`` says why)."""

    case_id: str
    outcome: str
    reason: str | None = None
    blocked_by: tuple[dict, ...] = ()
    last_event_seq: int | None = None
