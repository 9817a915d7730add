"""``python -m workflows.agencies.simulator [--host 127.0.0.1] [--port 8100]``: serve the
simulated agencies until interrupted (faults from ONESTOP_SIMULATOR_FAULTS, see faults.py)."""

from __future__ import annotations

import argparse
import signal
import threading

from .server import SimulatorServer, faults_from_environment


def main() -> None:
    parser = argparse.ArgumentParser(description="Simulated agency gateways for onestop (loopback only).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    server = SimulatorServer(args.port, args.host, faults_from_environment()).start()
    print(f"agency simulator listening on {server.url}", flush=True)
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    stopped.wait()
    server.stop()


if __name__ == "__main__":
    main()
