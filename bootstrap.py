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

import importlib
import time
from datetime import timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import select

import workflows
from config import Settings
from config.audit import AuditSettings, load_audit_settings
from engine import CaseEngine, Clock, DocumentRules, ProcedureCatalogue
from engine.audit import Signer, anchoring
from engine.background import DevelopmentAdapter, EmbeddedScheduler, Outbox, PeriodicJob, SmsAdapter, SmtpAdapter
from engine.storage import Case, DocumentStore, FolderDocumentStore, S3DocumentStore

# Celery beat writes the time of its last pass here; every process's health check reads it.
HEARTBEAT_KEY = "onestop:scheduler:heartbeat"
# A timer still unfired this long after its due time means nobody is firing timers.
LAG_ALARM = timedelta(seconds=60)


def build_engine(
    settings: Settings, clock: Clock | None = None, *, catalogue: ProcedureCatalogue | None = None
) -> CaseEngine:
    """The case engine with the household-registration pack plugged in. ``catalogue`` replaces
    the pack's standard times (a benchmark that seeds cases due far away)."""
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
    )
    engine.worker_factory = partial(build_engine, settings)  # verification's worker processes
    engine.health_checks["agency_gateway"] = agencies.health
    engine.components["agencies"] = agencies
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
    """
    mode = settings.scheduler_mode
    checks = engine.health_checks
    if mode == "celery":
        checks["scheduler"] = celery_scheduler_check(engine, settings.broker_url)
        checks["broker"] = redis_check(settings.broker_url)
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
        lock_path=settings.scheduler_lock_path,
        periodic=[anchor] if anchor else [],
    ).start()

    def scheduler_health() -> dict:
        health = scheduler.health()
        if health["status"] == "ok" and health.get("role") == "leader" and timers_lagging(engine):
            health = {**health, "status": "down", "lagging": True}
        return health

    checks["scheduler"] = scheduler_health
    return scheduler


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


def celery_scheduler_check(engine: CaseEngine, url: str):
    def check() -> dict:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            beat = client.get(HEARTBEAT_KEY)
        finally:
            client.close()
        age = time.time() - float(beat) if beat else None
        lagging = timers_lagging(engine)
        healthy = age is not None and age < 30 and not lagging
        return {"status": "ok" if healthy else "down", "mode": "celery", "seconds_since_pass": age, "lagging": lagging}

    return check
