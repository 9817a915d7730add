"""The composition root: the one place that builds onestop from its parts.

The case engine (``engine/``) knows no domain; the household-registration pack (``workflows/``)
brings the office calendar, the agency connectors, the script functions, the standard times and
the notices. ``build_engine`` wires the two together, ``build_outbox`` picks how notices are
delivered, ``start_background`` starts (or only watches) the work done outside requests, and
``anchor_job`` is the daily signed anchor that work includes.
Every entrypoint builds the system here: the web app and its CLI (``api.create_app``), the
Celery worker (``workers.celery_app``), the office simulation, the benchmarks and the tests.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import resource
import sys
import threading
from datetime import timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import select, text

import workflows
from config import Settings
from config.audit import AuditSettings, load_audit_settings
from engine import CaseEngine, Clock, DataLimits, DocumentRules, ProcedureCatalogue, accounts
from engine.audit import Signer, anchoring
from engine.background import (
    BEAT_LEASE,
    SCHEDULER_LEASE,
    DevelopmentAdapter,
    EmbeddedScheduler,
    HeartbeatWriter,
    Outbox,
    PeriodicJob,
    SmsAdapter,
    SmtpAdapter,
    check_shared_document_store,
    lease_holder,
    processes,
    scheduler_health,
    workers_health,
)
from engine.storage import Case, DocumentStore, FolderDocumentStore, S3DocumentStore, incidents

# A timer still unfired this long after its due time means nobody is firing timers.
LAG_ALARM = timedelta(seconds=60)


def build_engine(
    settings: Settings,
    clock: Clock | None = None,
    *,
    catalogue: ProcedureCatalogue | None = None,
    role: str = "server",
) -> CaseEngine:
    """The case engine with the household-registration pack plugged in. ``catalogue`` replaces
    the pack's standard times (a benchmark that seeds cases due far away); ``role`` is what this
    process is called in the shared health record (a Celery worker names its queues)."""
    calendar = workflows.OfficeCalendar()
    agencies = workflows.AgencyConnectors(settings.agencies)
    functions, operators = workflows.build_registries(calendar, agencies)
    engine = CaseEngine(
        settings.database_url,
        clock=clock,
        script_functions=functions,
        operators=operators,
        catalogue=catalogue or workflows.HouseholdCatalogue(calendar),
        notifications=workflows.HouseholdNotifications(settings.supervisor_emails, public_url=settings.public_url),
        form_formats=workflows.form_formats(),
        case_index=workflows.HouseholdCaseIndex(),
        script_timeout_seconds=settings.script_timeout_seconds,
        local_timezone=settings.timezone,
        service_job_lease_seconds=settings.service_job_lease_seconds,
        documents=build_document_store(settings),
        document_rules=DocumentRules(max_bytes=int(settings.max_document_mb * 1024 * 1024)),
        groups=settings.groups if settings.groups is not None else workflows.OFFICE_GROUPS,
        default_group=settings.default_group,
        queue_services=workflows.queue_services(),
        step_limit=settings.step_limit or None,
        mask_text=workflows.mask_national_ids_in_text,
        data_limits=DataLimits(settings.data_max_bytes, settings.data_max_string, settings.data_max_depth),
    )
    engine.worker_factory = partial(build_engine, settings)  # verification's worker processes
    accounts.use_scrypt_cost(settings.scrypt_cost)
    engine.components["agencies"] = agencies
    # This process's view of the agencies goes into its heartbeat; health merges every process's.
    engine.heartbeat_details["agencies"] = lambda: agencies.health()["agencies"]
    engine.components["heartbeat"] = HeartbeatWriter(engine, role)
    engine.health_checks["database"] = database_check(engine)
    engine.health_checks["agency_gateway"] = shared_agency_check(engine)
    engine.health_checks["incidents"] = incidents_check(engine)
    calendar.bind(engine.db)  # the views and the CLI reach it as engine.catalogue.calendar
    return engine


def build_document_store(settings: Settings) -> DocumentStore:
    """Where attached files' bytes live: the local folder, or the S3-compatible bucket."""
    if settings.document_store == "s3":
        if not settings.s3_bucket:
            raise ValueError("ONESTOP_DOCUMENT_STORE=s3 needs ONESTOP_S3_BUCKET")
        return S3DocumentStore(
            settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
        )
    return FolderDocumentStore(settings.document_folder)


def build_outbox(settings: Settings, engine: CaseEngine) -> Outbox:
    """The sender of queued notices: the development mailbox, or SMTP (and an SMS provider)."""
    if settings.notify_mode == "development":
        development = DevelopmentAdapter(engine.db, engine.clock)
        adapters = {"email": development, "sms": development}
    else:
        adapters = {
            "email": SmtpAdapter(
                settings.smtp_host,
                settings.smtp_port,
                sender=settings.smtp_sender,
                username=settings.smtp_username,
                password=settings.smtp_password,
                starttls=settings.smtp_starttls,
            )
        }
        if settings.sms_adapter:
            module, _, name = settings.sms_adapter.partition(":")
            adapters["sms"] = SmsAdapter(getattr(importlib.import_module(module), name)())
    return Outbox(engine.db, engine.clock, adapters)


def start_background(
    settings: Settings, engine: CaseEngine, outbox: Outbox, *, short_lived: bool = False
) -> EmbeddedScheduler | None:
    """Start the work outside requests as ``settings.scheduler_mode`` says, and register the
    health checks that report it. Returns the embedded scheduler when this process runs one.

    - ``embedded``: a scheduler thread here fires due timers, runs agency calls and delivers the
      outbox (not in a ``short_lived`` process such as a CLI command);
    - ``celery``: Celery beat and workers do it (``workers/celery_app.py``); this process only
      reports their health and that of the broker;
    - ``off``: nobody here (tests, or a read-only replica).

    The checks read the shared record (engine.storage.heartbeats), so every process reports the
    whole deployment; long-running processes write their heartbeat into it.
    """
    mode = settings.scheduler_mode
    checks = engine.health_checks
    heartbeat: HeartbeatWriter = engine.components["heartbeat"]
    if not short_lived and mode != "off" and engine.db.dialect.name != "sqlite":
        # Several nodes may serve this database: each must keep files where the others read them.
        check_shared_document_store(engine.db, engine.documents)
    if mode == "celery":
        checks["scheduler"] = shared_scheduler_check(engine, "celery", CELERY_STALE_SECONDS)
        checks["workers"] = lambda: workers_health(engine, CELERY_WORKERS)
        checks["broker"] = redis_check(settings.broker_url)
        if not short_lived:
            heartbeat.start()
            atexit.register(heartbeat.stop)
        return None
    checks["broker"] = lambda: {"status": "not_configured", "mode": mode}
    if mode != "embedded" or short_lived:
        described = "embedded (not in commands)" if mode == "embedded" else mode
        checks["scheduler"] = lambda: {"status": "not_configured", "mode": described}
        return None
    anchor = anchor_job(settings, engine)
    scheduler = EmbeddedScheduler(
        engine,
        outbox,
        poll_seconds=settings.scheduler_poll_seconds,
        lease_seconds=settings.lease_seconds,
        periodic=[anchor] if anchor else [],
        heartbeat=heartbeat,
    ).start()
    stale_after = max(10.0, 10 * settings.scheduler_poll_seconds)
    checks["scheduler"] = shared_scheduler_check(engine, "embedded", stale_after)
    checks["workers"] = lambda: workers_health(engine, {"server": "serves the API and runs the embedded scheduler"})
    return scheduler


# Celery mode: the worker roles that must be alive (workers/celery_app.py names them by queue).
CELERY_WORKERS = {
    "celery-worker:timers": "fires due timers",
    "celery-worker:agencies": "calls the agencies",
    "celery-worker:outbox": "delivers the outbox",
}
CELERY_STALE_SECONDS = 30.0


def shared_scheduler_check(engine: CaseEngine, mode: str, stale_after: float):
    """The scheduling process's row, and who holds the lease that elects it (the embedded
    leader, or the active beat among its standbys)."""
    lease = {"embedded": SCHEDULER_LEASE, "celery": BEAT_LEASE}[mode]

    def check() -> dict:
        health = scheduler_health(engine, mode, stale_after)
        if health["status"] == "ok" and timers_lagging(engine):
            health = {**health, "status": "down", "lagging": True}
        held = lease_holder(engine.db, lease)
        if held is not None:
            health = {**health, "lease": {"name": lease, "holder": held["holder"], "until": held["until"].isoformat()}}
        return health

    return check


def database_check(engine: CaseEngine):
    """Reads work, and writes work as far as this process has seen (its heartbeat is a write)."""

    def check() -> dict:
        try:
            with engine.read() as session:
                session.execute(text("SELECT 1"))
        except Exception as error:  # a health check reports failures, it does not raise them
            return {"status": "down", "error": type(error).__name__}
        return engine.storage_health.describe()

    return check


def incidents_check(engine: CaseEngine):
    """Open incidents, by procedure and kind. They are a supervisor's work, not an outage: the
    status stays ok (a load balancer must not take the server out for them)."""

    def check() -> dict:
        with engine.read() as session:
            counts = incidents.open_counts(session.connection())
        by_procedure: dict[str, dict[str, int]] = {}
        for procedure, kind, count in counts:
            by_procedure.setdefault(procedure, {})[kind] = count
        return {"status": "ok", "open": sum(count for _p, _k, count in counts), "by_procedure": by_procedure}

    return check


def shared_agency_check(engine: CaseEngine):
    """Each agency as the live processes see it: its circuit open in any of them, or its gateway
    unreachable from any, is down."""

    def check() -> dict:
        merged: dict[str, dict] = {}
        for row in processes(engine):
            for agency, seen in (row.details.get("agencies") or {}).items():
                entry = merged.setdefault(
                    agency, {"state": "closed", "reachable": True, "base_url": seen.get("base_url"), "open_in": []}
                )
                if seen.get("state") == "open":
                    entry["state"] = "open"
                    entry["open_in"].append(row.holder)
                elif seen.get("state") == "half_open" and entry["state"] == "closed":
                    entry["state"] = "half_open"
                entry["reachable"] = entry["reachable"] and seen.get("reachable", True)
        healthy = all(entry["reachable"] and entry["state"] != "open" for entry in merged.values())
        return {"status": "ok" if healthy else "down", "agencies": merged}

    return check


def audit_signer(audit: AuditSettings | None = None) -> Signer | None:
    """The office's signer, its private key read now (a rotated file is picked up); None without one."""
    pem = (audit or load_audit_settings()).signing_key()
    return Signer.from_pem(pem) if pem else None


def audit_timestamper(audit: AuditSettings | None = None):
    """The RFC 3161 timestamp authority of ONESTOP_TSA_URL, or None."""
    audit = audit or load_audit_settings()
    return anchoring.rfc3161_timestamper(audit.tsa_url, audit.tsa_timeout_seconds) if audit.tsa_url else None


def anchor_job(settings: Settings, engine: CaseEngine, *, actor: str = "scheduler") -> PeriodicJob | None:
    """The daily anchor as a periodic job: every ONESTOP_ANCHOR_EVERY_SECONDS it signs the days
    that are over and not anchored yet (and retries missing timestamps). None when no signing
    key is configured or the interval is 0 (anchoring is then left to cron)."""
    audit = load_audit_settings()
    if not audit.anchor_every_seconds or not (audit.signing_key_file or audit.signing_key_pem):
        return None
    zone = ZoneInfo(settings.timezone)

    def run() -> list[dict]:
        return anchoring.anchor_missing(
            engine,
            signer=audit_signer(audit),
            actor=actor,
            zone=zone,
            hmac_key=audit.anchor_key,
            timestamper=audit_timestamper(audit),
        )

    return PeriodicJob("anchor", timedelta(seconds=audit.anchor_every_seconds), run)


def timers_lagging(engine: CaseEngine) -> bool:
    """True when some timer is overdue by more than LAG_ALARM (an index lookup)."""
    with engine.read() as session:
        late = session.scalar(select(Case.id).where(Case.next_timer_at < engine.clock.now() - LAG_ALARM).limit(1))
    return late is not None


def redis_check(url: str):
    def check() -> dict:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
            return {"status": "ok"}
        finally:
            client.close()

    return check


def cap_memory(settings: Settings) -> None:
    """Cap this process's address space (``settings.memory_limit_mb``; 0: no cap): a script that
    gets past the sandbox's size guards with a huge allocation fails with MemoryError (its case
    gets an incident) instead of pushing the machine into swap or the OOM killer. Called in each
    server worker (config/gunicorn.conf.py) and Celery worker process (workers/celery_app.py)."""
    if settings.memory_limit_mb <= 0:
        return
    limit = settings.memory_limit_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


class MaskedRecords(logging.Filter):
    """Masks national ID numbers in a log record's message, traceback and stack before any
    handler formats it: the same masking as the API's JSON log, for every other way a process
    writes logs (Celery's worker log, gunicorn's error log, a thread's uncaught exception)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = workflows.mask_national_ids_in_text(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = workflows.mask_national_ids_in_text(record.exc_text)
        if record.stack_info:
            record.stack_info = workflows.mask_national_ids_in_text(record.stack_info)
        return True


def mask_logs(logger: logging.Logger | None = None) -> None:
    """Put MaskedRecords on every handler of ``logger`` (and of the root logger)."""
    for each in {logger or logging.getLogger(), logging.getLogger()}:
        for handler in each.handlers:
            if not any(isinstance(existing, MaskedRecords) for existing in handler.filters):
                handler.addFilter(MaskedRecords())


def mask_crash_paths() -> None:
    """Uncaught exceptions (in any thread, or the process's last one) are logged, masked,
    instead of printed raw to stderr; the handlers of the usual loggers mask too."""
    crash = logging.getLogger("onestop.crash")

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "?"
        crash.error(
            "uncaught exception in thread %s", name, exc_info=(args.exc_type, args.exc_value, args.exc_traceback)
        )

    def process_hook(exc_type, value, traceback) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, value, traceback)
            return
        crash.critical("uncaught exception", exc_info=(exc_type, value, traceback))

    threading.excepthook = thread_hook
    sys.excepthook = process_hook
    for name in ("", "gunicorn.error", "celery", "onestop"):
        mask_logs(logging.getLogger(name))
