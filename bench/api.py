"""API benchmark: full case lifecycles over real HTTP against the production server, next to the
engine's in-process rate measured in the same run, and the CPU time the server's processes spend
per lifecycle (``server_cpu_ms_per_lifecycle``).

    .venv/bin/python -m bench.api [--lifecycles N] [--cases M] [--clients P] [--concurrency C]
                                  [--database-url postgresql+psycopg://...]

The server is gunicorn with config/gunicorn.conf.py (2 workers x 2 threads, embedded scheduler,
as in production) on SQLite in a temporary folder (or on the database of ``--database-url``,
PostgreSQL, which both sides then use), migrated, with bench/procedures/bench_simple deployed
and a clerk's token. Client processes (P processes, C lifecycles at a time each) drive lifecycles on
loopback: POST /api/cases (its answer lists the open task), then POST /api/tasks/{id}/complete.
The in-process rate is bench/engine.py's persisted run (StartCase + CompleteTask through the
engine on SQLite, same procedure). The two alternate in rounds, so that other load on the
machine slows both alike. The last line printed is a JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from bench.engine import PROCEDURE, persisted_rate
from bootstrap import build_engine
from config import Settings
from engine import accounts, files_from_folder
from engine import commands as cmd
from engine.storage import upgrade

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
START = "POST /api/cases"
COMPLETE = "POST /api/tasks/{id}/complete"
START_BODY = json.dumps({"procedure": "bench_simple", "data": {"copies": 2}})
COMPLETE_BODY = json.dumps({"data": {"ok": True}})


# ---------------------------------------------------------------- the server
def prepare_database(folder: Path, database_url: str | None = None) -> tuple[str, str]:
    """A migrated database (SQLite in ``folder`` unless ``database_url``) with bench_simple
    deployed; returns (url, a clerk's token)."""
    url = database_url or f"sqlite:///{folder / 'bench-api.db'}"
    upgrade(url)
    engine = build_engine(Settings(environment="test", database_url=url))
    engine.handle(cmd.DeployDefinition(files_from_folder(PROCEDURE), actor="bench"))
    now = datetime.now(timezone.utc)
    with engine.write() as session:
        username = f"bench-clerk-{secrets.token_hex(4)}"  # a database used by an earlier run has its own
        clerk = accounts.create_user(session, username, roles=["clerk"], groups=["Clerk"], now=now)
        token, _ = accounts.issue_token(session, clerk, now=now, label="bench", lifetime=None)
    engine.dispose()
    return url, token


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(database_url: str, folder: Path, workers: int, threads: int, scheduler: str = "embedded"):
    """gunicorn as in production, in its own process group; killed whatever happens."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ONESTOP_ENV": "production",
        "ONESTOP_DATABASE_URL": database_url,
        "ONESTOP_HOST": "127.0.0.1",
        "ONESTOP_PORT": str(port),
        "ONESTOP_WORKERS": str(workers),
        "ONESTOP_THREADS": str(threads),
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "prometheus"),
        "ONESTOP_SCHEDULER": scheduler,
    }
    (folder / "prometheus").mkdir()
    log = open(folder / "gunicorn.log", "wb")
    server = subprocess.Popen(
        [str(GUNICORN), "-c", str(ROOT / "config" / "gunicorn.conf.py"), "api.wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start:\n" + (folder / "gunicorn.log").read_text()[-3000:])
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/api/health")
                # 503 is an answer too: the agencies bench_simple never calls are not running here.
                if connection.getresponse().status in (200, 503):
                    connection.close()
                    break
            except OSError:
                time.sleep(0.1)
        yield port, server.pid
    finally:
        _stop_group(server)
        log.close()


def _stop_group(server: subprocess.Popen) -> None:
    """SIGTERM the server's process group, SIGKILL it if it lingers; a group already gone (a
    server that failed to start) is no error, so the reason it did not start is what is raised."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except ProcessLookupError:
        server.wait()
    except subprocess.TimeoutExpired:
        try:
            os.killpg(server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        server.wait()


def group_cpu_seconds(group: int) -> float:
    """CPU time (user + system) used so far by the live processes of a process group."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[2]) == group:  # pgrp
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


# ---------------------------------------------------------------- the client
# The client shares the machine's two cores with the server, so it is kept lean: requests are
# built once as bytes and answers read with asyncio streams (http.client parses every header
# with the email package, which cost the client more CPU than the server's HTTP layer).
def request_bytes(path: str, body: str, token: str) -> bytes:
    payload = body.encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bytes]:
    """Send one request on a kept-alive connection; (status, body) of its answer."""
    writer.write(request)
    status = int((await reader.readline()).split(b" ", 2)[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def lifecycle(port: int, token: str, timings: dict[str, list[float]]) -> None:
    """Start a case and complete its task, on one connection per lifecycle, as clerks' browsers
    come and go: each new connection goes to whichever server worker accepts it first."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        began = time.perf_counter()
        status, body = await exchange(reader, writer, request_bytes("/api/cases", START_BODY, token))
        started = time.perf_counter()
        if status != 201:
            raise RuntimeError(f"{START} -> {status} {body[:300]!r}")
        task_id = json.loads(body)["open_tasks"][0]["id"]
        status, body = await exchange(
            reader, writer, request_bytes(f"/api/tasks/{task_id}/complete", COMPLETE_BODY, token)
        )
        if status != 200:
            raise RuntimeError(f"{COMPLETE} -> {status} {body[:300]!r}")
        timings[START].append(started - began)
        timings[COMPLETE].append(time.perf_counter() - started)
    finally:
        writer.close()


async def run_lifecycles(port: int, token: str, count: int, concurrency: int) -> dict:
    """``count`` lifecycles, ``concurrency`` at a time; their timings and errors."""
    outcome = {"timings": {START: [], COMPLETE: []}, "errors": []}

    async def worker(share: int) -> None:
        for _ in range(share):
            try:
                await lifecycle(port, token, outcome["timings"])
            except Exception as error:  # reported by the parent
                outcome["errors"].append(f"{type(error).__name__}: {error}")
                return

    await asyncio.gather(*(worker(share) for share in split(count, concurrency)))
    return outcome


def client_process(port: int, token: str, concurrency: int, orders, results) -> None:
    """One client process: for each order (a number of lifecycles) it runs them, ``concurrency``
    at a time, and sends back the timings and its CPU seconds. ``None`` ends the process."""
    while (lifecycles := orders.get()) is not None:
        cpu_before = time.process_time()
        outcome = asyncio.run(run_lifecycles(port, token, lifecycles, concurrency))
        outcome["cpu_seconds"] = time.process_time() - cpu_before
        results.put(outcome)


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if n < total % parts else 0) for n in range(parts)]


class Clients:
    """Client processes that stay up between rounds, so that rounds can alternate with the
    in-process measurement."""

    def __init__(self, port: int, token: str, processes: int, concurrency: int) -> None:
        context = multiprocessing.get_context("fork")
        self.results = context.Queue()
        self.orders = [context.Queue() for _ in range(processes)]
        self.processes = [
            context.Process(target=client_process, args=(port, token, concurrency, orders, self.results), daemon=True)
            for orders in self.orders
        ]
        for process in self.processes:
            process.start()
        self.cpu_seconds = 0.0  # of the client processes, over all rounds

    def run(self, lifecycles: int) -> tuple[float, dict[str, list[float]]]:
        """Run ``lifecycles`` over all clients; (elapsed seconds, timings per endpoint)."""
        began = time.perf_counter()
        for orders, count in zip(self.orders, split(lifecycles, len(self.orders))):
            orders.put(count)
        outcomes = [self.results.get(timeout=600) for _ in self.processes]
        elapsed = time.perf_counter() - began
        errors = [error for outcome in outcomes for error in outcome["errors"]]
        if errors:
            raise RuntimeError(f"{len(errors)} client errors, first: {errors[0]}")
        self.cpu_seconds += sum(outcome["cpu_seconds"] for outcome in outcomes)
        return elapsed, {
            name: [value for outcome in outcomes for value in outcome["timings"][name]] for name in (START, COMPLETE)
        }

    def close(self) -> None:
        for orders in self.orders:
            orders.put(None)
        for process in self.processes:
            process.join(timeout=10)


def percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(fraction * len(values)))] if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifecycles", type=int, default=3000, help="lifecycles over HTTP, in all rounds")
    parser.add_argument("--cases", type=int, default=1500, help="lifecycles in process, in all rounds")
    parser.add_argument("--rounds", type=int, default=5, help="alternating HTTP and in-process rounds")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--concurrency", type=int, default=4, help="lifecycles at a time per client process")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--server-threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument(
        "--database-url", help="PostgreSQL for the server and the in-process engine (default: SQLite, temporary)"
    )
    parser.add_argument(
        "--scheduler",
        choices=("embedded", "off"),
        default="embedded",
        help="the server's timer scheduler (production: embedded)",
    )
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    http_seconds = process_seconds = server_cpu = process_cpu = 0.0
    timings: dict[str, list[float]] = {START: [], COMPLETE: []}
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryDirectory() as engine_folder:
        url, token = prepare_database(Path(folder), args.database_url)
        with served(url, Path(folder), args.workers, args.server_threads, args.scheduler) as (port, group):
            clients = Clients(port, token, args.clients, args.concurrency)
            try:
                clients.run(20 * args.clients * args.concurrency)  # warm up: every worker parses the procedure
                clients.cpu_seconds = 0.0
                persisted_rate(50, Path(engine_folder), database_url=args.database_url)
                # Alternate the two measurements, so that a machine busy with something else
                # slows both alike instead of one of them.
                for http_count, process_count in zip(
                    split(args.lifecycles, args.rounds), split(args.cases, args.rounds)
                ):
                    cpu_before = group_cpu_seconds(group)
                    elapsed, round_timings = clients.run(http_count)
                    server_cpu += group_cpu_seconds(group) - cpu_before
                    http_seconds += elapsed
                    for name, values in round_timings.items():
                        timings[name].extend(values)
                    cpu_before = time.process_time()
                    rate = persisted_rate(process_count, Path(engine_folder), database_url=args.database_url)[0]
                    process_seconds += process_count / rate
                    process_cpu += time.process_time() - cpu_before
            finally:
                client_cpu = clients.cpu_seconds
                clients.close()
    load_after = os.getloadavg()[0]
    http_per_s = args.lifecycles / http_seconds
    in_process = args.cases / process_seconds
    ratio = http_per_s / in_process
    latency = {
        name: {
            "p50_ms": round(percentile(sorted(values), 0.50) * 1000, 2),
            "p95_ms": round(percentile(sorted(values), 0.95) * 1000, 2),
            "mean_ms": round(statistics.fmean(values) * 1000, 2),
        }
        for name, values in timings.items()
    }

    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"in process (bench.engine persisted run, {database}): {in_process:7.0f} lifecycles/s")
    print(
        f"over HTTP (gunicorn {args.workers}x{args.server_threads}, scheduler {args.scheduler}, "
        f"{args.clients}x{args.concurrency} clients): {http_per_s:7.0f} lifecycles/s"
    )
    print(f"ratio HTTP / in process: {ratio:.2f}  (goal >= 0.5)")
    # CPU time per lifecycle depends far less on other load than rates do. The in-process
    # figure includes setting up each round's engine, so it slightly overstates the engine's cost.
    cpu_ms = {
        "in_process": round(process_cpu / args.cases * 1000, 2),
        "server": round(server_cpu / args.lifecycles * 1000, 2),
        "client": round(client_cpu / args.lifecycles * 1000, 2),
    }
    print(
        f"CPU per lifecycle: in process {cpu_ms['in_process']:.2f} ms, server (all workers) {cpu_ms['server']:.2f} ms, "
        f"clients {cpu_ms['client']:.2f} ms"
    )
    print(f"machine load average (1 min) before {load_before:.2f}, after {load_after:.2f} (the server alone adds ~2)")
    for name, figures in latency.items():
        print(f"  {name:32s} p50 {figures['p50_ms']:6.2f} ms   p95 {figures['p95_ms']:6.2f} ms")
    print(
        json.dumps(
            {
                "benchmark": "api",
                "database": database,
                "lifecycles": args.lifecycles,
                "in_process_lifecycles": args.cases,
                "rounds": args.rounds,
                "in_process_per_s": round(in_process, 1),
                "http_per_s": round(http_per_s, 1),
                "ratio": round(ratio, 3),
                "latency": latency,
                "server": {"workers": args.workers, "threads": args.server_threads, "scheduler": args.scheduler},
                "client": {"processes": args.clients, "concurrency": args.concurrency},
                "cpu_ms_per_lifecycle": cpu_ms,
                "server_cpu_ms_per_lifecycle": cpu_ms["server"],
                "load_average": {"before": round(load_before, 2), "after": round(load_after, 2)},
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
