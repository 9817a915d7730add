"""A real HAProxy (Debian's package) in front of the test's app nodes, with a configuration of
its own: round robin, each node checked on ``/api/health/node`` every 200 ms, a request whose
connection to a node fails sent to another (``option redispatch``). Nothing else is retried: a
request a node received and then died on is answered 502, as a client would see it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.api.server import free_port

HAPROXY_BINARIES = ("/usr/sbin/haproxy", shutil.which("haproxy"))

CONFIGURATION = """\
global
    maxconn 512

defaults
    mode http
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    retries 3
    option redispatch
    retry-on conn-failure

frontend onestop
    bind 127.0.0.1:{port}
    default_backend nodes

backend nodes
    balance roundrobin
    option forwardfor
    option httpchk GET /api/health/node
    http-check expect status 200
    default-server inter 200ms fall 2 rise 2
{servers}
"""


def haproxy_binary() -> str:
    found = next((path for path in HAPROXY_BINARIES if path and os.access(path, os.X_OK)), None)
    if found is None:
        reason = "HAProxy is not installed (scripts/haproxy.sh installs it from Debian packages)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


class Balancer:
    def __init__(self, folder: Path, nodes: dict[str, int]) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        servers = "\n".join(f"    server {name} 127.0.0.1:{port} check" for name, port in nodes.items())
        self.config = folder / "haproxy.cfg"
        self.config.write_text(CONFIGURATION.format(port=self.port, servers=servers))
        self.log_path = folder / "haproxy.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> Balancer:
        binary = haproxy_binary()
        checked = subprocess.run([binary, "-c", "-f", str(self.config)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        with open(self.log_path, "ab") as log:
            # -db: in the foreground, not as a daemon (the test stops it).
            self.process = subprocess.Popen([binary, "-db", "-f", str(self.config)], stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_path.read_text()
            try:
                if requests.get(self.base_url + "/api/health/node", timeout=5).status_code == 200:
                    return self
            except requests.RequestException:
                pass  # not listening yet
            time.sleep(0.05)
        raise RuntimeError(f"HAProxy did not pass a request within {timeout} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
