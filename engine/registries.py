"""Registries through which a domain pack (workflows/) plugs into the engine.

The engine never imports a domain pack; the pack registers what BPMN may use:
- script functions callable from scripts, conditions and timer expressions;
- form formats: JSON Schema ``format`` names a form may use beyond the standard ones (e.g. an
  identifier with a checksum), checked when a task is completed;
- the applicant's keys for the clerks' search (``CaseIndex``);
- service-task operators named by ``spiffworkflow:serviceTaskOperator``: plain functions
  answered while the command runs (``register``), or asynchronous operations performed later by
  a worker (``register_asynchronous``, see ``engine.services``).
"""

from __future__ import annotations

import copy
import hashlib
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable


class ScriptFunctions:
    """Functions that BPMN scripts, conditions and timer expressions may call, by name."""

    def __init__(self) -> None:
        self._functions: dict[str, Callable[..., Any]] = {}
        self._for_timers: set[str] = set()

    def register(self, name: str, function: Callable[..., Any], *, for_timers: bool = False) -> None:
        """``for_timers``: the function gives a moment a timer may wait for (offered to designers
        for timer expressions, e.g. ``working_days_after(10)``)."""
        if not name.isidentifier() or name.startswith("_"):
            raise ValueError(f"script function name {name!r} must be a public Python identifier")
        self._functions[name] = function
        if for_timers:
            self._for_timers.add(name)

    def as_dict(self) -> dict[str, Callable[..., Any]]:
        return dict(self._functions)

    def names(self) -> set[str]:
        return set(self._functions)

    def timer_names(self) -> set[str]:
        return set(self._for_timers)


class FormFormats:
    """Extra JSON Schema formats for task forms: name -> predicate on the submitted value."""

    def __init__(self) -> None:
        self._checks: dict[str, Callable[[Any], bool]] = {}
        self._checkers: dict[int, Any] = {}  # id of a base checker -> its extended copy

    def register(self, name: str, check: Callable[[Any], bool]) -> None:
        self._checks[name] = check
        self._checkers.clear()

    def checker(self, base):
        """A copy of the jsonschema ``FormatChecker`` ``base`` that also knows these formats."""
        if id(base) in self._checkers:
            return self._checkers[id(base)]
        checker = self._checkers[id(base)] = copy.deepcopy(base)
        for name, check in self._checks.items():
            # A non-string is the type keyword's business, as for the standard formats.
            checker.checks(name)(lambda value, check=check: not isinstance(value, str) or bool(check(value)))
        return checker

    def names(self) -> set[str]:
        return set(self._checks)


@dataclass(frozen=True)
class ServiceOperator:
    """A named operation a service task may call.

    Synchronous: ``call(params) -> JSON-able result``, run inside the case's command (keep it to
    pure functions). Asynchronous: ``call(ServiceCall) -> ServiceAnswer``, run by a worker.
    """

    name: str
    call: Callable[[Any], Any]
    description: str = ""
    asynchronous: bool = False


@dataclass
class ServiceOperators:
    """Operators that BPMN service tasks name in ``spiffworkflow:serviceTaskOperator``."""

    _operators: dict[str, ServiceOperator] = field(default_factory=dict)

    def register(self, name: str, call: Callable[[dict[str, Any]], Any], description: str = "") -> None:
        self._operators[name] = ServiceOperator(name, call, description)

    def register_asynchronous(self, name: str, call: Callable[[Any], Any], description: str = "") -> None:
        """An operation that may be slow or fail (another agency's system): a worker performs it."""
        self._operators[name] = ServiceOperator(name, call, description, asynchronous=True)

    def asynchronous_names(self) -> set[str]:
        return {name for name, operator in self._operators.items() if operator.asynchronous}

    def is_asynchronous(self, name: str) -> bool:
        operator = self._operators.get(name)
        return operator is not None and operator.asynchronous

    def get(self, name: str) -> ServiceOperator | None:
        return self._operators.get(name)

    def names(self) -> set[str]:
        return set(self._operators)


class ProcedureCatalogue:
    """What a domain pack publishes about each procedure: standard processing time and due date.

    The default knows nothing; a domain pack subclasses it. ``standard_time`` returns e.g.
    ``{"amount": 3, "unit": "working_days"}`` and ``due_at`` the promised completion time, with
    ``extension`` (in the standard's unit) added for the time the case's clock was paused, by
    the calendar as known at ``known_at`` (default: ``received_at``). ``paused_amount`` says
    how much standard time a pause from ``paused_at`` to ``resumed_at`` took. ``channel`` is
    the case's (counter, online, home visit...): a procedure may promise each its own time.
    ``variant`` names another standard of the procedure (``variants``) that a path of its
    diagram switches the case to (an element marked ``slaStandard``); None for a variant the
    procedure does not have. ``place`` (passed when the case's office has one: its region, then
    district) says whose working-day calendar counts: closures may hold for one place only.
    """

    def standard_time(
        self, procedure_key: str, channel: str | None = None, variant: str | None = None
    ) -> dict[str, Any] | None:
        return None

    def variants(self, procedure_key: str) -> set[str]:
        return set()

    def due_at(
        self,
        procedure_key: str,
        received_at,
        extension: float = 0.0,
        known_at=None,
        channel: str | None = None,
        variant: str | None = None,
    ) -> Any:
        return None

    def paused_amount(
        self, procedure_key: str, paused_at, resumed_at, channel: str | None = None, variant: str | None = None
    ) -> float:
        return 0.0

    def received_anywhere(self, procedure_key: str) -> bool:
        """Whether any office may receive the procedure for the competent one (跨區通辦), or
        only the competent office."""
        return False

    def online_application(self, procedure_key: str) -> dict[str, Any] | None:
        """How the office takes this procedure online, or None if it does not: at least
        ``{"form": <the form file an applicant fills>}``; a pack adds what its hosts need (which
        fields hold the applicant's identity and contacts, which list the documents...)."""
        return None

    def online_procedures(self) -> list[str]:
        """The procedures taken online, in the order they are offered."""
        return []


@dataclass(frozen=True)
class NotificationDraft:
    """A message a notification policy wants sent; the engine queues it in the outbox."""

    audience: str  # applicant | supervisor | ...
    channel: str  # email | sms | development (a delivery adapter of that name sends it)
    recipient: str
    subject: str
    body: str


class NotificationPolicy:
    """What a domain pack says to whom when something happens to a case.

    ``drafts(kind, case)`` gets the kind of occasion (``sla_breach``) and a dict describing the
    case (number, procedure, applicant, due_at, overdue_at...) and returns the messages to queue.
    The default says nothing.
    """

    def drafts(self, kind: str, case: dict[str, Any]) -> list[NotificationDraft]:
        return []

    def notice_kinds(self) -> set[str]:
        """The kinds a diagram may ask for with ``notifyApplicant`` (engine.notices); deploy
        validation refuses others, which would send nothing."""
        return set()


@dataclass(frozen=True)
class QueueService:
    """A kind of service visitors draw a ticket for (號碼牌): its number prefix and names, and
    the procedures its counter handles."""

    key: str
    prefix: str
    name_zh: str
    name_en: str
    procedures: tuple[str, ...] = ()


class QueueServices:
    """The service kinds of the office's counter queue, registered by the domain pack."""

    def __init__(self, services: tuple[QueueService, ...] = ()) -> None:
        self._services = {service.key: service for service in services}

    def get(self, key: str) -> QueueService | None:
        return self._services.get(key)

    def all(self) -> list[QueueService]:
        return list(self._services.values())

    def for_procedure(self, procedure_key: str) -> QueueService | None:
        return next((service for service in self._services.values() if procedure_key in service.procedures), None)


@dataclass(frozen=True)
class ApplicantKeys:
    """What clerks find a case by: the applicant's name as written and as searched (a prefix of
    ``name_key``), a digest of the ID number (found by the exact number, never shown) and the
    phone's digits. Each may be None."""

    name: str | None = None
    name_key: str | None = None
    id_digest: str | None = None
    phone: str | None = None


class CaseIndex:
    """How a domain pack tells the engine who a case's applicant is, for the clerks' search.

    ``applicant_keys(applicant, data)`` gets the applicant as received (name, national_id,
    phone...) and the case data after a start or a completed form; the default reads the
    applicant only. The normalisations (``name_key``, ``id_digest``, ``phone_digits``) are the
    ones the search applies to what a clerk types, so both sides meet.
    """

    def applicant_keys(self, applicant: dict[str, Any] | None, data: dict[str, Any]) -> ApplicantKeys:
        applicant = applicant or {}
        return self.keys(applicant.get("name"), applicant.get("national_id"), applicant.get("phone"))

    def keys(self, name: Any, national_id: Any, phone: Any) -> ApplicantKeys:
        shown = self.display_name(name)
        return ApplicantKeys(shown, self.name_key(shown), self.id_digest(national_id), self.phone_digits(phone))

    def display_name(self, name: Any) -> str | None:
        if not isinstance(name, str):
            return None
        text = " ".join(unicodedata.normalize("NFKC", name).split())
        return text[:100] or None

    def name_key(self, name: Any) -> str | None:
        shown = self.display_name(name)
        return shown.casefold()[:100] if shown else None

    def id_digest(self, national_id: Any) -> str | None:
        if not isinstance(national_id, str) or not national_id.strip():
            return None
        normalized = unicodedata.normalize("NFKC", national_id).strip().upper()
        return hashlib.sha256(f"onestop national id\0{normalized}".encode()).hexdigest()

    def phone_digits(self, phone: Any) -> str | None:
        if not isinstance(phone, str):
            return None
        digits = "".join(ch for ch in unicodedata.normalize("NFKC", phone) if ch.isdigit())
        return digits[:30] or None
