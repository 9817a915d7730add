"""Celery's workers per queue (timers, agencies, outbox), as the deployment's health sees them: a
queue nobody consumes makes the workers check down, naming it; a worker consuming several
queues counts for each."""

from __future__ import annotations

from datetime import datetime, timezone

from bootstrap import CELERY_WORKERS
from engine.background import workers_health
from engine.storage import heartbeats
from workers.celery_app import QUEUES, ROUTING, app


def alive(engine, process: str, role: str) -> None:
    now = datetime.now(timezone.utc)
    with engine.db.begin() as conn:
        heartbeats.beat(conn, heartbeats.PROCESS_PREFIX + process, process, role, now, {}, now)


def test_a_queue_without_a_worker_is_named_and_a_worker_of_several_queues_counts_for_each(engine):
    alive(engine, "host-1:11", "celery-worker:timers")
    down = workers_health(engine, CELERY_WORKERS)
    assert down["status"] == "down"
    assert "celery-worker:agencies" in down["error"] and "celery-worker:outbox" in down["error"]
    assert "celery-worker:timers" not in down["error"]

    alive(engine, "host-2:12", "celery-worker:agencies,outbox")
    up = workers_health(engine, CELERY_WORKERS)
    assert up["status"] == "ok", up
    assert set(up["processes"]) == {"celery-worker:timers", "celery-worker:agencies,outbox"}


def test_every_task_has_its_queue():
    tasks = sorted(name for name in app.tasks if name.startswith("onestop."))
    routes = ROUTING["task_routes"]
    assert len(tasks) >= 7 and [name for name in tasks if name not in routes] == []
    assert {route["queue"] for route in routes.values()} == set(QUEUES) == {"timers", "agencies", "outbox"}
    assert {f"celery-worker:{queue}" for queue in QUEUES} == set(CELERY_WORKERS)
