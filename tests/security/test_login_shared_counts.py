"""In distributed mode the sign-in throttle counts in Redis: every server process sees the same
failures, so spreading guesses over the processes gains nothing."""

from __future__ import annotations

from api import create_app
from engine import accounts
from tests.timers.test_celery import redis_url  # noqa: F401  (fixture: a redis-server of the tests)


def test_two_server_processes_share_one_count(settings, engine, redis_url):  # noqa: F811
    with engine.write() as session:
        accounts.create_user(session, "alice", roles=["clerk"], password="right", now=engine.clock.now())
    shared = settings.with_overrides(
        scheduler="celery", broker_url=redis_url, login_limits_per_user="3 per minute", ratelimit_storage=None
    )
    assert shared.ratelimit_storage_uri == redis_url
    first = create_app(shared, engine=engine).test_client()
    second = create_app(shared, engine=engine).test_client()
    body = {"username": "alice", "password": "wrong"}
    assert first.post("/api/auth/token", json=body).status_code == 401
    assert second.post("/api/auth/token", json=body).status_code == 401
    assert first.post("/api/auth/token", json=body).status_code == 401
    assert second.post("/api/auth/token", json={"username": "alice", "password": "right"}).status_code == 429
