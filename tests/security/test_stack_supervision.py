"""scripts/stack.sh supervises the production stack on one machine: a Celery worker killed
(SIGKILL, as the OOM killer would) is reported and started again while the rest keeps serving,
timers still fire afterwards, the agency simulator runs next to it in development, and Ctrl-C
(SIGTERM) stops everything it started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest
import requests

from tests.api.server import free_port
from tests.conftest import ROOT
from tests.timers.test_celery import broker, redis_url  # noqa: F401  (fixtures)

from . import hostile
from .conftest import wait_for

pytestmark = pytest.mark.slow


def started(text: str, name: str) -> list[int]:
    return [int(pid) for pid in re.findall(rf"stack: started {name} \(pid (\d+)\)", text)]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


def test_a_killed_worker_is_started_again_and_the_stack_keeps_serving(database_url, redis_url, broker, tmp_path):
    port, simulator_port = free_port(), free_port()
    env = {
        **os.environ,
        "ONESTOP_STACK_SETUP": "0",  # the test run has set up the virtualenv
        "ONESTOP_ENV": "development",
        "ONESTOP_DATABASE_URL": database_url,
        "ONESTOP_BROKER_URL": redis_url,
        "ONESTOP_PORT": str(port),
        "ONESTOP_SIMULATOR_PORT": str(simulator_port),
        "ONESTOP_WORKERS": "1",
        "ONESTOP_CELERY_WORKERS": "1",
        "ONESTOP_CELERY_CONCURRENCY": "1",
        "ONESTOP_TIMER_CONCURRENCY": "1",
        "ONESTOP_STACK_LOGS": str(tmp_path / "logs"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "ONESTOP_DEMO_PASSWORD": "stack-test-password",
    }
    env.pop("ONESTOP_AGENCY_URL", None)
    stderr = tmp_path / "stack.err"
    stack = subprocess.Popen(
        ["bash", "scripts/stack.sh"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(stderr, "w")
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def healthy_workers():
            try:
                answer = requests.get(base + "/api/health", timeout=5).json()
            except (requests.RequestException, ValueError):
                return None
            roles = answer["checks"].get("workers", {}).get("processes", {})
            return roles if any("timers" in role for role in roles) else None

        wait_for(healthy_workers, "the stack's health with its workers", seconds=180)
        assert requests.get(f"http://127.0.0.1:{simulator_port}/household-registration", timeout=5).status_code < 500
        [first_timers] = started(stderr.read_text(), "timers1")

        os.kill(first_timers, signal.SIGKILL)
        restarted = wait_for(lambda: started(stderr.read_text(), "timers1")[1:], "timers1 started again", seconds=120)
        assert f"timers1 (pid {first_timers}) exited" in stderr.read_text()
        assert restarted[0] != first_timers and alive(restarted[0])
        assert requests.get(base + "/api/health", timeout=5).status_code in (200, 503)  # the API kept answering

        # Timers still fire: a case whose timer is due in a second reaches its next step.
        def token(user: str) -> str:
            login = {"username": user, "password": "stack-test-password"}
            return requests.post(base + "/api/auth/token", json=login, timeout=10).json()["token"]

        designer, clerk, admin = token("designer"), token("clerk"), token("admin")
        key, files = hostile.control_procedure(wait='"PT1S"')
        deployed = requests.post(
            base + "/api/definitions",
            headers={"Authorization": f"Bearer {designer}"},
            files=[("files", (name, content)) for name, content in files.items()],
            timeout=30,
        )
        assert deployed.status_code == 201, deployed.text
        case = requests.post(
            base + "/api/cases", headers={"Authorization": f"Bearer {clerk}"}, json={"procedure": key}, timeout=30
        ).json()

        def reached_after():
            detail = requests.get(
                f"{base}/api/cases/{case['case_id']}", headers={"Authorization": f"Bearer {admin}"}, timeout=10
            ).json()
            return [task["element_id"] for task in detail["open_tasks"]] == ["after"]

        wait_for(reached_after, "the case's timer fired by the restarted timer worker", seconds=120)
    finally:
        stack.send_signal(signal.SIGTERM)
        stack.wait(60)
    everyone = [
        pid for name in ("simulator", "timers1", "worker1", "beat", "api") for pid in started(stderr.read_text(), name)
    ]
    assert "stack: stopped" in stderr.read_text()
    wait_for(lambda: not any(alive(pid) for pid in everyone), "every process the stack started stopped", seconds=60)
