"""Commands: every change of state in the engine is one of these, handled in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from engine.access import CaseAccess


@dataclass(frozen=True)
class DeployDefinition:
    files: Mapping[str, bytes]
    actor: str | None = None
    process_key: str | None = None  # which process to start cases on, when a file has several
    # Store a rejected upload as a draft anyway (to fix it in the modeller), if it can be read.
    as_draft: bool = False


@dataclass(frozen=True)
class Upload:
    """A file sent to be attached to a case. ``kind`` says what the document is, in the domain's
    words (a code such as ``birth_certificate``); its type is sniffed from ``content``."""

    file_name: str
    content: bytes
    kind: str


@dataclass(frozen=True)
class StartCase:
    procedure: str
    data: dict[str, Any] = field(default_factory=dict)
    channel: str = "counter"
    applicant: dict[str, Any] | None = None
    actor: str | None = None
    # A retried request with the same key returns the same case. Keys are their sender's own:
    # ``idempotency_scope`` names the sender (default: the actor), and another sender's same key
    # starts another case.
    idempotency_key: str | None = None
    idempotency_scope: str | None = None
    documents: tuple[Upload, ...] = ()  # attached in the same transaction (an online application)
    form: str | None = None  # the procedure's form ``data`` must match (an online application)
    officer: str | None = None  # the clerk who receives the case (承辦人); None: the first to work it
    # The office receiving the case (None: the default office) and the one competent for it, if
    # another (跨區通辦: the case is transferred there as it starts, if its procedure may be
    # received anywhere). ``offices``: those the actor works for (None: any).
    office: str | None = None
    competent_office: str | None = None
    offices: frozenset[str] | None = None


@dataclass(frozen=True)
class ClaimTask:
    task_id: str
    actor: str
    lanes: frozenset[str] | None = None  # the lanes the actor works (None: any lane)
    offices: frozenset[str] | None = None  # the offices whose lanes they work (None: any office)


@dataclass(frozen=True)
class UnclaimTask:
    task_id: str
    actor: str
    force: bool = False  # a supervisor may release a task someone else holds
    lanes: frozenset[str] | None = None  # the lanes the actor works (None: any lane)
    offices: frozenset[str] | None = None  # the offices whose lanes they work (None: any office)


@dataclass(frozen=True)
class CompleteTask:
    task_id: str
    actor: str
    data: dict[str, Any] = field(default_factory=dict)
    lanes: frozenset[str] | None = None  # the lanes the actor works (None: any lane)
    offices: frozenset[str] | None = None  # the offices whose lanes they work (None: any office)


@dataclass(frozen=True)
class DeliverMessage:
    case_id: str
    name: str
    payload: Any = None
    actor: str | None = None
    access: CaseAccess | None = None  # the cases the actor reaches (None: the system, any case)


@dataclass(frozen=True)
class AttachDocuments:
    """Attach files to a running case. With ``message`` (name, payload) the same command delivers
    that BPMN message, e.g. the supplement a waiting document check expects: the files and the
    message are recorded together or not at all (409 when the case does not wait for it)."""

    case_id: str
    documents: tuple[Upload, ...]
    actor: str | None = None
    occasion: str = "attachment"  # application | supplement | attachment
    message: tuple[str, Any] | None = None
    access: CaseAccess | None = None  # the cases the actor reaches (None: the system, any case)


@dataclass(frozen=True)
class CancelCase:
    case_id: str
    reason: str
    actor: str | None = None
    access: CaseAccess | None = None  # the cases the actor reaches (None: the system, any case)
    withdrawn: bool = False  # at the applicant's request (撤回), rather than cancelled by the office


@dataclass(frozen=True)
class RecordSupplement:
    """Documents the applicant brought (or sent) after the one-time notice: delivered to the case
    waiting for them as the DOCUMENTS_MESSAGE, each one among those still missing."""

    case_id: str
    documents: tuple[str, ...]
    actor: str | None = None
    channel: str = "counter"
    note: str | None = None
    access: CaseAccess | None = None  # the cases the actor reaches (None: the system, any case)


@dataclass(frozen=True)
class AssignOfficer:
    """Make ``officer`` (an active case worker) responsible for the case, with the reason."""

    case_id: str
    officer: str
    reason: str
    actor: str | None = None
    access: CaseAccess | None = None  # the cases the actor reaches (None: the system, any case)


@dataclass(frozen=True)
class AssignTask:
    """Give an open task to ``assignee``, a colleague who works its lane. Without ``force`` the
    task must be free or held by the actor (a supervisor forces)."""

    task_id: str
    assignee: str
    actor: str
    lanes: frozenset[str] | None = None  # the lanes the actor works (None: any lane)
    offices: frozenset[str] | None = None  # the offices whose lanes they work (None: any office)
    force: bool = False


@dataclass(frozen=True)
class AddNote:
    case_id: str
    text: str
    actor: str
    access: CaseAccess | None = None  # the cases the actor reaches (None: the system, any case)


@dataclass(frozen=True)
class SaveTaskDraft:
    """Keep what the clerk has typed into a task's form so far (the task must be theirs)."""

    task_id: str
    actor: str
    data: dict[str, Any] = field(default_factory=dict)
    lanes: frozenset[str] | None = None  # the lanes the actor works (None: any lane)
    offices: frozenset[str] | None = None  # the offices whose lanes they work (None: any office)


@dataclass(frozen=True)
class FireDueTimers:
    case_id: str
    actor: str = "scheduler"


@dataclass(frozen=True)
class RecordRating:
    """The applicant's rating (1-5) of a case, once per case."""

    case_id: str
    score: int
    comment: str | None = None
    actor: str = "applicant"


@dataclass(frozen=True)
class TransferCase:
    """Hand a running case to another office (跨區通辦): its open tasks become that office's, its
    SLA clock keeps running from receipt (by the new office's calendar), the receiving office
    stays recorded. ``access``: the cases the actor reaches (None: the system)."""

    case_id: str
    office: str
    reason: str
    actor: str | None = None
    access: CaseAccess | None = None


@dataclass(frozen=True)
class RescheduleCase:
    """Recompute the case's due date from its standard time and the calendar as it is now
    (after a calendar change). Returns None (and records nothing) when the date stays."""

    case_id: str
    reason: str
    actor: str = "calendar"


@dataclass(frozen=True)
class RecordServiceOutcome:
    """A worker's outcome for a waiting service task's job: ``result`` (the answer) or ``error``
    ({"code", "message", ...}: thrown as a BPMN error), with the evidence to record. Returns
    None (and records nothing) when the job was already answered or its task stopped waiting."""

    job_id: int
    attempt: dict[str, Any]  # this attempt: {"attempt", "started_at", "finished_at", ...}
    result: Any = None
    error: dict[str, Any] | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    actor: str = "worker"


@dataclass(frozen=True)
class MoveCase:
    """Move a running case to a newer version of its procedure (``case_migrated`` event).
    ``from_version``, when given, must be the version the case is on (a stale request fails)."""

    case_id: str
    to_version: int
    reason: str
    actor: str | None = None
    from_version: int | None = None


@dataclass(frozen=True)
class MoveCases:
    """Move the running cases of ``from_version`` (all, or those in ``case_ids``) to
    ``to_version``, each in its own transaction; cases that cannot move are reported, not moved."""

    process_key: str
    from_version: int
    to_version: int
    reason: str
    actor: str | None = None
    case_ids: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RetryIncident:
    """Do the work an incident holds again (fire the case's due timers, record the agency's
    answer), after a fix of the diagram, a move to a new version, or with ``data``: variables set
    in the case's open steps first (recorded with ``reason``, required then). If it fails again,
    the incident stays open with one more attempt and the command fails (ProcedureFailed)."""

    incident_id: int
    actor: str
    reason: str | None = None
    data: dict[str, Any] | None = None


@dataclass(frozen=True)
class CancelIncident:
    """Give up the case held by an incident: the case is cancelled and the incident resolved."""

    incident_id: int
    actor: str
    reason: str
