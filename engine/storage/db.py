"""Database engines and sessions: SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Callable

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

READ_ONLY_OPTION = "onestop_read_only"
WRITER_QUEUE_TIMEOUT_SECONDS = 30.0  # as long as SQLite's own busy timeout


def create_db_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        return _create_sqlite_engine(url, **kwargs)
    return create_engine(url, pool_pre_ping=True, future=True, **kwargs)


def _create_sqlite_engine(url: str, **kwargs) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own handling defers it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; safe with WAL
        # Checkpoint (and fsync) every ~40 MB of WAL instead of every 4 MB: case commands write
        # ~10 pages each, and the frequent checkpoints cost a sixth of the command rate.
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        # Every transaction takes the write lock up front. With WAL, a deferred transaction that
        # read a snapshot and then tries to write after another writer committed fails at once
        # (SQLITE_BUSY_SNAPSHOT, no waiting); IMMEDIATE makes writers queue instead. Reads of
        # other connections are not blocked. Read-only sessions begin a plain snapshot.
        # Issued on the driver's connection directly: through SQLAlchemy it costs a statement
        # execution of its own, on every command.
        driver_connection = connection.connection.driver_connection
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            driver_connection.execute("BEGIN")
        else:
            driver_connection.execute("BEGIN IMMEDIATE")

    return engine


def writer_queue(engine: Engine) -> Callable[[], AbstractContextManager]:
    """The queue the command transactions of every process on one SQLite database pass through.

    SQLite lets one writer in at a time; a writer that finds the database locked sleeps in
    SQLite's busy handler in steps of 1 to 100 ms and retries, so under load the writers spent
    more time asleep than working. Queued on a lock file instead (a thread lock within the
    process, ``flock`` between processes), the next writer starts the moment the one before it
    commits. Other databases queue on their own row locks: no queue."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return nullcontext
    path = f"{database}.writers"
    in_process = threading.Lock()
    handles: dict[int, Any] = {}  # per process id: a forked server worker opens its own

    @contextmanager
    def queued():
        deadline = time.monotonic() + WRITER_QUEUE_TIMEOUT_SECONDS
        if not in_process.acquire(timeout=WRITER_QUEUE_TIMEOUT_SECONDS):
            raise _queue_timeout()
        try:
            handle = handles.get(os.getpid())
            if handle is None:
                handle = handles[os.getpid()] = open(path, "a")
            _lock_file(handle, deadline)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        finally:
            in_process.release()

    return queued


def _lock_file(handle, deadline: float) -> None:
    """Take the lock file, polling (``flock`` itself cannot time out, and a writer must never
    wait past the deadline): first every few tens of µs, as a command's transaction takes about
    a millisecond, then less often."""
    pause = 0.00002
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise _queue_timeout() from None
            time.sleep(pause)
            pause = min(pause * 2, 0.0005)


def _queue_timeout() -> OperationalError:
    return OperationalError(
        "waiting for the database's write queue", None, TimeoutError("no writer left the queue in time")
    )


def read_only(engine: Engine) -> Engine:
    """The engine for plain reads: on SQLite they begin a snapshot instead of taking the write lock."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def create_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker:
    bind = engine.execution_options(**{READ_ONLY_OPTION: True}) if read_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False)
