"""The daily anchor runs by itself: the embedded scheduler (and Celery beat, with the same job)
signs each day once it is over, once, and a failing anchor never stops the timers."""

from __future__ import annotations

import bootstrap
from engine.audit import anchoring
from engine.background import EmbeddedScheduler

from ..engine.helpers import start
from .test_integrity import finished_case
from .test_proofs import MONDAY


def finish_periodic_runs(scheduler) -> None:
    for run in scheduler.periodic_runs:
        run.result(timeout=60)


def anchored_days(engine) -> list[str]:
    with engine.read() as session:
        return sorted(str(anchor["day"]) for anchor in anchoring.list_anchors(session))


def test_the_scheduler_anchors_each_day_once_it_is_over(
    engine, settings, transcript, clock, signing_key_file, monkeypatch
):
    monkeypatch.setenv("ONESTOP_SIGNING_KEY_FILE", str(signing_key_file))
    monkeypatch.setenv("ONESTOP_ANCHOR_EVERY_SECONDS", "600")
    finished_case(engine, clock)
    job = bootstrap.anchor_job(settings, engine)
    scheduler = EmbeddedScheduler(engine, periodic=[job])
    try:
        assert scheduler.run_once()["periodic"] == ["anchor"]
        finish_periodic_runs(scheduler)
        assert job.last_error is None and anchored_days(engine) == []  # Monday is not over yet
        clock.advance(minutes=5)
        assert scheduler.run_once()["periodic"] == []  # not again before its interval
        clock.advance(days=1)
        start(engine)  # Tuesday has a case too
        scheduler.run_once()
        finish_periodic_runs(scheduler)
        assert anchored_days(engine) == [MONDAY.isoformat()] and job.last_error is None
        assert anchoring.verify_anchors(engine)["ok"]
        signing_key_file.unlink()  # the key went missing: the anchor fails, the timers go on
        clock.advance(days=1)
        passed = scheduler.run_once()
        finish_periodic_runs(scheduler)
        assert passed["periodic"] == ["anchor"] and "FileNotFoundError" in job.last_error
        assert job.health()["last_error"] == job.last_error
        assert anchored_days(engine) == [MONDAY.isoformat()]
    finally:
        scheduler.stop()


def test_no_key_no_anchor_job(engine, settings, monkeypatch, signing_key_file):
    monkeypatch.delenv("ONESTOP_SIGNING_KEY_FILE", raising=False)
    monkeypatch.delenv("ONESTOP_SIGNING_KEY", raising=False)
    assert bootstrap.anchor_job(settings, engine) is None
    monkeypatch.setenv("ONESTOP_SIGNING_KEY_FILE", str(signing_key_file))
    monkeypatch.setenv("ONESTOP_ANCHOR_EVERY_SECONDS", "0")  # left to cron
    assert bootstrap.anchor_job(settings, engine) is None


def test_celery_beat_sends_the_same_job(engine, transcript, clock, signing_key_file, monkeypatch):
    monkeypatch.setenv("ONESTOP_SIGNING_KEY_FILE", str(signing_key_file))
    from workers import celery_app

    assert celery_app.app.conf.beat_schedule["anchor-days"]["task"] == "onestop.anchor_days"
    monkeypatch.setattr(celery_app, "_engine", engine)
    finished_case(engine, clock)
    clock.advance(days=1)
    assert celery_app.anchor_days() == [MONDAY.isoformat()]
    assert celery_app.anchor_days() == []  # once
