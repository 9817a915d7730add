"""Serving the simulator: in a thread of the calling process (tests) or as its own process."""

from __future__ import annotations

import json
import os
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from . import create_app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # an access line per call only clutters test output
        pass


class SimulatorServer:
    """The simulator on a loopback port, served by werkzeug's threaded server in a thread."""

    def __init__(
        self, port: int = 0, host: str = "127.0.0.1", faults: dict | None = None, *, quiet: bool = True
    ) -> None:
        self.app = create_app(faults)
        self._server = make_server(
            host, port, self.app, threaded=True, request_handler=_QuietHandler if quiet else WSGIRequestHandler
        )
        self.host, self.port = host, self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None

    @property
    def state(self):
        return self.app.extensions["agency_state"]

    def start(self) -> SimulatorServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="agency-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)


def faults_from_environment() -> dict | None:
    text = os.environ.get("ONESTOP_SIMULATOR_FAULTS")
    return json.loads(text) if text else None
