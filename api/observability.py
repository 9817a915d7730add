"""Structured JSON logs with a request id, and Prometheus metrics.

Logs carry the path but never the query string: an applicant's access code travels there.
National ID numbers never reach a log line: whatever a message, a path or a traceback holds,
each line is masked on its way out (A123456789 -> A12****789).
Metrics about cases and tasks are read from the database at scrape time, so they are exact
however many server processes and workers there are.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import uuid

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from engine.storage import Case, Task, incidents
from workflows.identifiers import mask_national_ids_in_text

REQUEST_ID_HEADER = "X-Request-ID"


class JsonFormatter(logging.Formatter):
    FIELDS = ("request_id", "method", "path", "status", "duration_ms", "endpoint", "remote")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({name: getattr(record, name) for name in self.FIELDS if hasattr(record, name)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return mask_national_ids_in_text(json.dumps(entry, ensure_ascii=False, default=str))


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger("onestop")
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


class CaseMetricsCollector:
    """Gauges computed from the database when Prometheus scrapes."""

    def __init__(self, engine) -> None:
        self.engine = engine

    def collect(self):
        now = self.engine.clock.now()
        with self.engine.read() as session:
            by_status = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
            open_tasks = (
                session.scalar(select(func.count()).select_from(Task).where(Task.status.in_(("ready", "claimed")))) or 0
            )
            overdue = (
                session.scalar(
                    select(func.count()).select_from(Case).where(Case.status == "running", Case.due_at < now)
                )
                or 0
            )
            open_incidents = incidents.open_counts(session.connection())
        cases = GaugeMetricFamily("onestop_cases", "Cases by status", labels=["status"])
        for status in ("running", "completed", "cancelled"):
            cases.add_metric([status], by_status.get(status, 0))
        yield cases
        yield GaugeMetricFamily("onestop_open_tasks", "Tasks waiting in inboxes", value=open_tasks)
        yield GaugeMetricFamily("onestop_overdue_cases", "Running cases past their due date", value=overdue)
        held = GaugeMetricFamily(
            "onestop_open_incidents",
            "Cases held by an open incident, by procedure and kind",
            labels=["procedure", "kind"],
        )
        for procedure, kind, count in open_incidents:
            held.add_metric([procedure, kind], count)
        yield held


def install(app: Flask, engine) -> None:
    log = logging.getLogger("onestop.api")
    registry = CollectorRegistry()
    latency = Histogram(
        "onestop_http_request_duration_seconds",
        "HTTP request latency",
        ["method", "endpoint", "status"],
        registry=registry,
        buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    )
    registry.register(CaseMetricsCollector(engine))

    @app.before_request
    def start_request():
        g.request_id = (request.headers.get(REQUEST_ID_HEADER) or "")[:100] or uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def finish_request(response: Response) -> Response:
        duration = time.perf_counter() - g.get("started", time.perf_counter())
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        latency.labels(request.method, endpoint, str(response.status_code)).observe(duration)
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        log.info(
            "request",
            extra={
                "request_id": g.get("request_id"),
                "method": request.method,
                "path": request.path,
                "endpoint": endpoint,
                "status": response.status_code,
                "duration_ms": round(duration * 1000, 2),
            },
        )
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        """Prometheus metrics (all server processes when PROMETHEUS_MULTIPROC_DIR is set)."""
        scrape = registry
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            scrape = CollectorRegistry()
            multiprocess.MultiProcessCollector(scrape)
            scrape.register(CaseMetricsCollector(engine))
        return Response(generate_latest(scrape), mimetype=CONTENT_TYPE_LATEST)
