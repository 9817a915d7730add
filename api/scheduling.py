"""Wiring timers and notifications into the server process, per ``Settings.scheduler_mode``.

- ``embedded``: a scheduler thread in this process fires due timers and delivers the outbox.
- ``celery``: Celery beat and workers do it (``workers/celery_app.py``); this process only
  reports their health and that of the broker.
- ``off``: nobody here (tests, or a read-only replica).
"""
from __future__ import annotations

import atexit
import importlib
import logging
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from config import Settings
from engine.background.outbox import DevelopmentAdapter, Outbox, SmsAdapter, SmtpAdapter
from engine.background.scheduler import EmbeddedScheduler
from engine.case_engine import CaseEngine
from engine.storage.models import Case

log = logging.getLogger("onestop.scheduling")
# A timer still unfired this long after its due time means nobody is firing timers.
LAG_ALARM = timedelta(seconds=60)
HEARTBEAT_KEY = "onestop:scheduler:heartbeat"


def build_outbox(settings: Settings, engine: CaseEngine) -> Outbox:
    if settings.notify_mode == "development":
        development = DevelopmentAdapter(engine.db, engine.clock)
        adapters = {"email": development, "sms": development}
    else:
        adapters = {"email": SmtpAdapter(settings.smtp_host, settings.smtp_port, sender=settings.smtp_sender,
                                         username=settings.smtp_username, password=settings.smtp_password,
                                         starttls=settings.smtp_starttls)}
        if settings.sms_adapter:
            module, _, name = settings.sms_adapter.partition(":")
            adapters["sms"] = SmsAdapter(getattr(importlib.import_module(module), name)())
    return Outbox(engine.db, engine.clock, adapters)


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
        import time

        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            beat = client.get(HEARTBEAT_KEY)
        finally:
            client.close()
        age = time.time() - float(beat) if beat else None
        lagging = timers_lagging(engine)
        healthy = age is not None and age < 30 and not lagging
        return {"status": "ok" if healthy else "down", "mode": "celery", "seconds_since_pass": age,
                "lagging": lagging}

    return check


def _in_cli_command() -> bool:
    """True inside a ``flask`` command such as ``db upgrade`` (not ``flask run``): those
    processes are short-lived and must not fire timers (nor run before the schema exists)."""
    import click

    context = click.get_current_context(silent=True)
    return context is not None and context.info_name != "run"


def install_scheduling(app: Flask, settings: Settings, engine: CaseEngine) -> None:
    mode = settings.scheduler_mode
    outbox = build_outbox(settings, engine)
    app.extensions["onestop_outbox"] = outbox
    if mode == "embedded" and _in_cli_command():
        engine.health_checks["scheduler"] = lambda: {"status": "not_configured", "mode": "embedded (not in commands)"}
        engine.health_checks["broker"] = lambda: {"status": "not_configured", "mode": "embedded"}
    elif mode == "embedded":
        scheduler = EmbeddedScheduler(engine, outbox, poll_seconds=settings.scheduler_poll_seconds,
                                      lock_path=settings.scheduler_lock_path).start()
        app.extensions["onestop_scheduler"] = scheduler
        atexit.register(scheduler.stop)

        def scheduler_health() -> dict:
            health = scheduler.health()
            if health["status"] == "ok" and health.get("role") == "leader" and timers_lagging(engine):
                health = {**health, "status": "down", "lagging": True}
            return health

        engine.health_checks["scheduler"] = scheduler_health
        engine.health_checks["broker"] = lambda: {"status": "not_configured", "mode": "embedded"}
    elif mode == "celery":
        engine.health_checks["scheduler"] = celery_scheduler_check(engine, settings.broker_url)
        engine.health_checks["broker"] = redis_check(settings.broker_url)
    else:
        engine.health_checks["scheduler"] = lambda: {"status": "not_configured", "mode": "off"}
        engine.health_checks["broker"] = lambda: {"status": "not_configured", "mode": "off"}
