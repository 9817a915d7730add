"""onestop's case engine: a domain-agnostic layer over SpiffWorkflow.

It knows nothing of HTTP (api/) or of household registration (workflows/); a domain pack plugs
in through the registries (``ScriptFunctions``, ``ServiceOperators``, ``ProcedureCatalogue``,
``NotificationPolicy``, ``FormFormats``, ``CaseIndex``), and a host builds one ``CaseEngine`` with them.

This package is the engine's public contract. Code outside ``engine/`` imports from here and
from the public names of five subpackages (each lists them in ``__all__``):

- ``engine.storage``: the tables (ORM models) and the read queries, for reads outside commands;
- ``engine.definitions``: the designer's tools (validation, lint, diff, fixes, dry run);
- ``engine.audit``: timeline, replay, integrity, retention, process mining, reports, feedback;
- ``engine.background``: the scheduler, the service-job runner and the outbox;
- ``engine.workflow``: the SpiffWorkflow runtime and its sandbox (benchmarks, simulation).

``engine.cases`` (the command handlers) is internal: commands go through ``CaseEngine.handle``.
"""

from engine import accounts, commands, events, results
from engine.access import CaseAccess
from engine.accounts import Principal
from engine.case_engine import CaseEngine
from engine.cases.documents import DocumentRules
from engine.cases.inputs import DataLimits, access_code_matches
from engine.cases.moving import MoveBlocked
from engine.clock import Clock, ManualClock, SystemClock, current_now, execution_context
from engine.counter import Ticket
from engine.definitions.deployments import ParsedDefinition, files_from_folder
from engine.definitions.findings import ERROR, FIXABLE, NOTE, WARNING, Finding
from engine.errors import (
    Conflict,
    DefinitionInvalid,
    EngineError,
    InvalidInput,
    NotAllowed,
    NotFound,
    ProcedureFailed,
    TooLarge,
    TooManyRequests,
    real_interrupt,
)
from engine.events import DOCUMENTS_MESSAGE, MISSING_DOCUMENTS, RATING_MESSAGE, PendingEvent
from engine.registries import (
    ApplicantKeys,
    CaseIndex,
    FormFormats,
    NotificationDraft,
    NotificationPolicy,
    ProcedureCatalogue,
    QueueService,
    QueueServices,
    ScriptFunctions,
    ServiceOperators,
)
from engine.services import ServiceAnswer, ServiceCall, ServiceFailure

__all__ = [
    "DOCUMENTS_MESSAGE",
    "ERROR",
    "FIXABLE",
    "MISSING_DOCUMENTS",
    "NOTE",
    "RATING_MESSAGE",
    "WARNING",
    "ApplicantKeys",
    "CaseAccess",
    "CaseEngine",
    "CaseIndex",
    "Clock",
    "Conflict",
    "DataLimits",
    "DefinitionInvalid",
    "DocumentRules",
    "EngineError",
    "Finding",
    "FormFormats",
    "InvalidInput",
    "ManualClock",
    "MoveBlocked",
    "NotAllowed",
    "NotFound",
    "NotificationDraft",
    "NotificationPolicy",
    "ParsedDefinition",
    "PendingEvent",
    "Principal",
    "ProcedureCatalogue",
    "ProcedureFailed",
    "QueueService",
    "QueueServices",
    "ScriptFunctions",
    "ServiceAnswer",
    "ServiceCall",
    "ServiceFailure",
    "ServiceOperators",
    "SystemClock",
    "TooLarge",
    "TooManyRequests",
    "Ticket",
    "access_code_matches",
    "accounts",
    "commands",
    "current_now",
    "events",
    "execution_context",
    "files_from_folder",
    "real_interrupt",
    "results",
]
