"""The served app for real-HTTP tests: gunicorn with the production config, as a subprocess.

The server runs in its own session (process group), so a test can SIGKILL the master and its
workers at once, as a crash would, and start it again on the same database.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServedApp:
    """One gunicorn (master + workers) serving ``api.wsgi:app`` on a loopback port."""

    def __init__(
        self,
        database_url: str,
        folder: Path,
        *,
        workers: int = 2,
        threads: int = 4,
        agency_url: str | None = None,
        working_folder: Path | None = None,
        env: dict[str, str] | None = None,
        ready_path: str = "/api/health",
    ) -> None:
        """``working_folder``: the server's current directory (a node of its own: nothing shared
        through the repository's folder); ``env`` adds or replaces settings; ``ready_path``
        answers 200 once the server is ready (a node of several: ``/api/health/node``)."""
        self.database_url = database_url
        self.agency_url = agency_url
        self.folder = folder
        self.working_folder = working_folder
        self.extra_env = env or {}
        self.workers = workers
        self.threads = threads
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / f"gunicorn-{self.port}.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.ready_path = ready_path

    def start(self, timeout: float = 30.0) -> ServedApp:
        metrics_dir = self.folder / f"prometheus-{self.port}-{self.starts}"
        metrics_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "ONESTOP_ENV": "test",
            "ONESTOP_DATABASE_URL": self.database_url,
            "ONESTOP_HOST": "127.0.0.1",
            "ONESTOP_PORT": str(self.port),
            "ONESTOP_WORKERS": str(self.workers),
            "ONESTOP_THREADS": str(self.threads),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            # As in production: the embedded scheduler fires timers (one leader among the workers).
            "ONESTOP_SCHEDULER": "embedded",
            # A server killed by a test leaves its lease behind: the next one waits seconds, not 15.
            "ONESTOP_LEASE_SECONDS": "3",
            # The files attached to cases: the same folder as the test's own engine (tests/conftest.py).
            "ONESTOP_DOCUMENT_FOLDER": str(self.folder / "documents"),
        }
        env.update(self.extra_env)
        if self.agency_url:  # the agency simulator of the tests, called by the embedded scheduler's workers
            env.update(ONESTOP_AGENCY_URL=self.agency_url, ONESTOP_AGENCY_TIMEOUT="1")
        self.starts += 1
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(GUNICORN), "-c", str(ROOT / "config" / "gunicorn.conf.py"), "api.wsgi:app"],
            cwd=self.working_folder or ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_text()[-4000:]}")
            try:
                if requests.get(self.url(self.ready_path), timeout=5).status_code == 200:
                    return self
            except requests.RequestException:
                pass  # not listening yet, or the workers are still importing the app
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer {self.ready_path} within {timeout} s:\n{self.log_text()[-4000:]}")

    def url(self, path: str) -> str:
        return self.base_url + path

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: no shutdown code runs."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._reap_group()

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._reap_group()

    def _reap_group(self) -> None:
        # Workers orphaned by a killed master are still in the group: make sure none survives.
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
