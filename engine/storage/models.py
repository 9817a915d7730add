"""SQLAlchemy 2 tables of the case engine.

- ``definitions`` / ``definition_files``: deployed procedure versions and their files as uploaded.
- ``cases``: one row per case with its serialized workflow (``state``), an optimistic-concurrency
  ``version`` and a few projected columns for fast queries (status, next timer, due date).
- ``case_events``: the append-only, hash-chained history of each case.
- ``tasks``: the inbox projection of READY user/manual tasks.
- ``case_number_counters``: the per-year sequence behind human-friendly case numbers.
- ``notifications`` / ``development_messages``: the outbox of messages and what the development
  adapter delivered.
- ``case_documents``: files attached to cases (their bytes are in the document store).
- ``verification_codes`` / ``applicant_sessions``: one-time codes that prove an applicant without
  an account reaches a phone or email, and the short sessions they open.
- The offices and the working-day calendar (which days are working days, where, since when, by
  whom) are in ``engine.storage.place_models``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every database (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a time zone")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict: JSON, list: JSON}


class Definition(Base):
    __tablename__ = "definitions"
    __table_args__ = (
        UniqueConstraint("process_key", "version", name="uq_definitions_key_version"),
        # The same content at most once as a draft and once as an executable version.
        UniqueConstraint("process_key", "content_hash", "draft", name="uq_definitions_key_hash_draft"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int]
    name: Mapped[str | None] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    findings: Mapped[list] = mapped_column(JSON, default=list)  # warnings kept for designers
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str | None] = mapped_column(String(200))
    # A draft is stored and downloadable but no case starts on it (see engine.definitions.importing).
    draft: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The .bpmn file of the process cases start on: what the diagram views show (a bundle also
    # holds the shared subprocesses it calls, each in a file of its own).
    main_file: Mapped[str | None] = mapped_column(String(300))


class DefinitionFile(Base):
    __tablename__ = "definition_files"

    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


# The lists and the inbox read their pages from these indexes (engine.storage.queries): each holds
# what its lists filter and sort on, so that a page is found without reading case rows, whose
# serialized state is tens of kilobytes. (Reports use ix_cases_status_closed and
# ix_cases_status_due, engine/storage/audit_models.py.)
CASE_LIST_INDEXES = (
    Index("ix_cases_received", "received_at", "id"),
    Index("ix_cases_status_received", "status", "received_at", "id", "due_at"),
    Index("ix_cases_procedure_received", "procedure_key", "received_at", "id", "status"),
)
# A task is open while it is ready or claimed. The inbox's indexes hold the open tasks only; a
# query uses them when it states this very condition (OPEN_TASK), literally: SQLite and PostgreSQL
# do not match a partial index against bound parameters.
OPEN_TASK_SQL = "status IN ('ready', 'claimed')"
# The inbox sorts tasks without a due date (none of their own, none for their case) last.
NO_DUE_DATE = datetime(9999, 12, 31, tzinfo=timezone.utc)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        *CASE_LIST_INDEXES,
        # The scheduler's search for due timers; most cases (all closed ones) have none.
        Index(
            "ix_cases_next_timer_at",
            "next_timer_at",
            sqlite_where=text("next_timer_at IS NOT NULL"),
            postgresql_where=text("next_timer_at IS NOT NULL"),
        ),
        Index("ix_cases_overdue_at", "overdue_at"),
        # The clerks' search: by due date, by officer (their cases); the exact keys; the name by
        # prefix (text_pattern_ops: LIKE 'x%' uses the index whatever the database's collation).
        Index("ix_cases_due", "due_at", "id"),
        Index("ix_cases_officer_received", "officer", "received_at", "id"),
        Index("ix_cases_office_received", "office", "received_at", "id"),  # an office's cases, reports
        Index("ix_cases_applicant_id_digest", "applicant_id_digest"),
        Index("ix_cases_applicant_phone", "applicant_phone"),
        Index(
            "ix_cases_applicant_name_key",
            "applicant_name_key",
            postgresql_ops={"applicant_name_key": "text_pattern_ops"},
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    procedure_key: Mapped[str] = mapped_column(String(200))
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # running | completed | cancelled
    channel: Mapped[str] = mapped_column(String(20))
    applicant: Mapped[dict | None] = mapped_column(JSON)
    # Shown on the receipt and reprinted on request, so kept as issued; compared in constant time.
    access_code: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    state: Mapped[str] = mapped_column(Text)
    state_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)  # optimistic concurrency
    task_id_counter: Mapped[int] = mapped_column(Integer)  # next deterministic task id index
    last_event_seq: Mapped[int] = mapped_column(Integer)
    last_event_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(Text)
    # Projections for the scheduler and SLA views, rewritten after every command.
    next_timer_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    # SLA bookkeeping (also recorded as events): when the case went past its due date, when its
    # clock was paused for missing documents (APA §51), how much standard time (in the
    # procedure's unit) earlier pauses added, and how much the diagram granted itself
    # (slaExtension elements, e.g. a complaint's extension).
    overdue_at: Mapped[datetime | None]
    # When the case finished the element marked serviceDelivered: the SLA clock stopped there
    # (the rating and follow-ups after it do not count). None: not served (yet, or ever).
    served_at: Mapped[datetime | None] = mapped_column(index=True)
    # The standard of its procedure the case is held to when a path of its diagram chose one
    # (an element marked slaStandard); None: the procedure's standard for the case's channel.
    sla_standard: Mapped[str | None] = mapped_column(String(100))
    sla_paused_at: Mapped[datetime | None]
    sla_paused_amount: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    sla_extended_amount: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    # The responsible officer (承辦人): the clerk who received the case, or whom a supervisor
    # made responsible since (each change is an officer_assigned event).
    officer: Mapped[str | None] = mapped_column(String(100))
    # How a cancelled case ended: "withdrawn" at the applicant's request, or "cancelled".
    close_kind: Mapped[str | None] = mapped_column(String(20))
    # What clerks find a case by (engine.registries.CaseIndex), from the applicant as received
    # and the forms since: the name as written and as searched, a digest of the ID number
    # (found by the exact number only; never shown), the phone's digits.
    applicant_name: Mapped[str | None] = mapped_column(String(100))
    applicant_name_key: Mapped[str | None] = mapped_column(String(100))
    applicant_id_digest: Mapped[str | None] = mapped_column(String(64))
    applicant_phone: Mapped[str | None] = mapped_column(String(30))
    # The open incident holding the case's timers (engine.storage.incidents): while it is set,
    # the scheduler wakes the case only at its SLA due date, until the incident is retried.
    timer_incident_id: Mapped[int | None] = mapped_column(Integer)
    # The office working the case (its tasks are that office's), the one that received it (they
    # differ once a case is transferred: 跨區通辦) and the user who received it.
    office: Mapped[str | None] = mapped_column(String(12))
    received_office: Mapped[str | None] = mapped_column(String(12))
    received_by: Mapped[str | None] = mapped_column(String(100))

    # SQLAlchemy adds "AND version = :old" to every UPDATE and raises StaleDataError when another
    # transaction got there first: the optimistic-concurrency check.
    __mapper_args__ = {"version_id_col": version}


class CaseEvent(Base):
    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_events_case_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int]
    command_id: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime]  # engine clock: the time replay uses
    actor: Mapped[str | None] = mapped_column(String(200))
    element_id: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict] = mapped_column(JSON)
    state_hash: Mapped[str] = mapped_column(String(64))  # case state after this event's command
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # How ``hash`` was computed (verifier/chain.py): 1 hashes the payload as it is; 2 commits to
    # a salted digest per payload key (``payload_salts``), so that anonymisation can remove a
    # value with its salt and keep its digest (``redacted``) while the chain still holds.
    hash_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    payload_salts: Mapped[dict | None] = mapped_column(JSON)
    redacted: Mapped[dict | None] = mapped_column(JSON)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        # A clerk's inbox: the open tasks of a lane in the order they are due.
        Index(
            "ix_tasks_open_lane_due",
            "lane",
            "effective_due_at",
            "created_at",
            "id",
            "assignee",
            sqlite_where=text(OPEN_TASK_SQL),
            postgresql_where=text(OPEN_TASK_SQL),
        ),
        # A lane's open tasks at one office (lanes are resolved per office), in the same order.
        Index(
            "ix_tasks_open_office_lane_due",
            "office",
            "lane",
            "effective_due_at",
            "created_at",
            "id",
            sqlite_where=text(OPEN_TASK_SQL),
            postgresql_where=text(OPEN_TASK_SQL),
        ),
        # Every lane's open tasks (auditors, admins), in the same order.
        Index(
            "ix_tasks_open_due",
            "effective_due_at",
            "created_at",
            "id",
            "assignee",
            sqlite_where=text(OPEN_TASK_SQL),
            postgresql_where=text(OPEN_TASK_SQL),
        ),
        # A case's tasks, and whether a lane has work in a case (case access) without the rows.
        Index("ix_tasks_case", "case_id", "lane"),
        Index("ix_tasks_element_created", "element_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(300))
    element_type: Mapped[str] = mapped_column(String(40))
    lane: Mapped[str | None] = mapped_column(String(200))
    office: Mapped[str | None] = mapped_column(String(12))  # its case's working office
    form_key: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))  # ready | claimed | completed | cancelled
    assignee: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(200))
    # The inbox's order: the task's own due date, else its case's, else NO_DUE_DATE; kept by the
    # commands while the task is open (engine.storage.store).
    effective_due_at: Mapped[datetime | None]
    # What the clerk typed so far, kept until the task is completed (not an event: the
    # completed form is what the case records).
    draft: Mapped[dict | None] = mapped_column(JSON)
    draft_saved_at: Mapped[datetime | None]
    draft_saved_by: Mapped[str | None] = mapped_column(String(200))


class CaseNumberCounter(Base):
    __tablename__ = "case_number_counters"

    office: Mapped[str] = mapped_column(String(12), primary_key=True)  # numbers count per office and year
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class User(Base):
    """Someone who signs in: roles say what they may do, groups (BPMN lanes) which tasks they work."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    # A direct line (or the office number and extension): shown to applicants of the cases the
    # user is responsible for (承辦人電話).
    phone: Mapped[str | None] = mapped_column(String(50))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    roles: Mapped[list] = mapped_column(JSON, default=list)
    groups: Mapped[list] = mapped_column(JSON, default=list)
    # The offices whose cases the user reaches; [] or ["*"]: every office (the bureau's staff; any
    # user of an install of one office).
    offices: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class ApiToken(Base):
    """A bearer token, stored as its sha256 only; revocable and expiring."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Rating(Base):
    """The applicant's rating of a case: one per case, also recorded as a case event."""

    __tablename__ = "ratings"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    procedure_key: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime]


class PublicLookupFailure(Base):
    """Failed applicant lookups (wrong access code), per caller, to slow down guessing."""

    __tablename__ = "public_lookup_failures"
    __table_args__ = (
        Index("ix_public_lookup_failures_number_at", "case_number", "failed_at"),
        Index("ix_public_lookup_failures_client_at", "client", "failed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_number: Mapped[str] = mapped_column(String(20))
    client: Mapped[str] = mapped_column(String(64), default="", server_default="")  # the caller's address
    failed_at: Mapped[datetime]


class Notification(Base):
    """The outbox: messages to applicants and staff, written in the transaction of the command
    that caused them and delivered afterwards by the scheduler (retried, never lost).

    ``dedupe_key`` is unique, so a cause that happens twice (a retried command, a second timer)
    still queues one message. A row is claimed for sending by moving it to ``sending`` with a
    lease; a sender that dies leaves the lease to expire and the row is tried again.
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(60))  # e.g. sla_breach
    audience: Mapped[str] = mapped_column(String(40))  # applicant | supervisor | ...
    channel: Mapped[str] = mapped_column(String(20))  # email | sms | development
    recipient: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # The body carries a secret (a one-time code): it is blanked once the message is sent or
    # given up, so the outbox does not keep a usable code.
    ephemeral: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class DevelopmentMessage(Base):
    """Messages the development delivery adapter 'sent': shown by the API instead of mailed."""

    __tablename__ = "development_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    delivered_at: Mapped[datetime]


class CaseDocument(Base):
    """A file attached to a case (an applicant's upload, a clerk's scan). Its bytes are in the
    document store under ``storage_key``; its SHA-256, size and type are also in the case's event
    log (``document_attached``), so verification checks the stored file against the history."""

    __tablename__ = "case_documents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(100))  # what the document is, in the domain's words
    file_name: Mapped[str] = mapped_column(String(255))  # as the sender named it
    media_type: Mapped[str] = mapped_column(String(100))  # sniffed from the content, not the name
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    occasion: Mapped[str] = mapped_column(String(40))  # application | supplement | attachment
    attached_at: Mapped[datetime]
    attached_by: Mapped[str | None] = mapped_column(String(200))


class VerificationCode(Base):
    """A one-time code sent to a phone or email address for an identity (e.g. a national ID).

    Only a salted hash of the code is kept; it expires, allows a few wrong tries and is used once.
    The rows also count requests per identity, destination and caller, to throttle them."""

    __tablename__ = "verification_codes"
    __table_args__ = (
        Index("ix_verification_codes_identity_at", "identity", "created_at"),
        Index("ix_verification_codes_destination_at", "destination", "created_at"),
        Index("ix_verification_codes_client_at", "client", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    identity: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(20))  # email | sms
    destination: Mapped[str] = mapped_column(String(300))
    client: Mapped[str] = mapped_column(String(64))  # the caller's address
    code_hash: Mapped[str] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ApplicantSession(Base):
    """What a verified one-time code opens: a short session of an identity that reached a
    destination (stored as the sha256 of its token, like the bearer tokens)."""

    __tablename__ = "applicant_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    identity: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(20))
    destination: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
