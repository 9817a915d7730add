"""Persistence: the tables (SQLAlchemy models), the hash-chained event log, the write statements
of the commands (``store``), the read queries and the Alembic schema migrations.

Public to code outside the engine: the models, ``queries`` (reads outside commands), ``search``
(the clerks' case search), ``read_only`` sessions, ``upgrade`` (apply the schema migrations), the
event-log hashing, ``offices`` (the offices and who works for which), and the modules ``store``, ``jobs``, ``incidents`` and ``db`` for the tests and benchmarks
that check or time them.
"""

from engine.storage import db, heartbeats, incidents, jobs, leases, offices, queries, search, store
from engine.storage.audit_models import (
    CaseArchive,
    CaseRedaction,
    ChainAnchor,
    ChainAnchorHead,
    PersonalDataRead,
    SigningKey,
    VerificationFailure,
    VerificationRun,
)
from engine.storage.counter_models import QueueTicket, QueueTicketCase
from engine.storage.db import READ_ONLY_OPTION, read_only, storage_unavailable
from engine.storage.direct_sql import DirectStatement
from engine.storage.documents import DocumentMissing, DocumentStore, FolderDocumentStore, S3DocumentStore
from engine.storage.eventlog import GENESIS_HASH, chain_events, event_hash
from engine.storage.feedback_models import ImprovementRun, ReportTarget, SurveyAnswer
from engine.storage.heartbeats import Heartbeat
from engine.storage.incidents import Incident
from engine.storage.jobs import ServiceJob
from engine.storage.leases import DeploymentMark, Lease
from engine.storage.models import (
    ApiToken,
    ApplicantSession,
    Base,
    Case,
    CaseDocument,
    CaseEvent,
    Definition,
    DefinitionFile,
    DevelopmentMessage,
    Notification,
    Rating,
    Task,
    User,
    VerificationCode,
)
from engine.storage.place_models import DEFAULT_OFFICE, CalendarDay, CalendarEdition, CalendarOverride, Office
from engine.storage.schema import upgrade

# Every table of the schema: the models, the audit models and the service jobs are all imported
# above, so each has registered its tables here (the schema migrations compare against it).
METADATA = Base.metadata

__all__ = [
    "DEFAULT_OFFICE",
    "GENESIS_HASH",
    "READ_ONLY_OPTION",
    "ApiToken",
    "ApplicantSession",
    "Base",
    "CalendarDay",
    "CalendarEdition",
    "CalendarOverride",
    "Case",
    "CaseArchive",
    "CaseDocument",
    "CaseEvent",
    "CaseRedaction",
    "ChainAnchor",
    "ChainAnchorHead",
    "Definition",
    "DefinitionFile",
    "DeploymentMark",
    "DevelopmentMessage",
    "DirectStatement",
    "DocumentMissing",
    "DocumentStore",
    "FolderDocumentStore",
    "Heartbeat",
    "Incident",
    "Lease",
    "Notification",
    "Office",
    "PersonalDataRead",
    "QueueTicket",
    "QueueTicketCase",
    "ReportTarget",
    "Rating",
    "S3DocumentStore",
    "ServiceJob",
    "SigningKey",
    "SurveyAnswer",
    "ImprovementRun",
    "Task",
    "User",
    "VerificationCode",
    "VerificationFailure",
    "VerificationRun",
    "chain_events",
    "db",
    "event_hash",
    "heartbeats",
    "incidents",
    "jobs",
    "leases",
    "offices",
    "queries",
    "read_only",
    "search",
    "storage_unavailable",
    "store",
    "upgrade",
]
