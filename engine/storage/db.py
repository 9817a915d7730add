"""Database engines and sessions: SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import sqlite3
import threading
import time
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Callable

from sqlalchemy import create_engine, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import sessionmaker

READ_ONLY_OPTION = "onestop_read_only"
WRITER_QUEUE_TIMEOUT_SECONDS = 30.0  # as long as SQLite's own busy timeout


def create_db_engine(url: str, **kwargs) -> Engine:
    # Errors never repeat a statement's parameters: they hold case data (national IDs among it),
    # and errors end up in logs, incident messages and the health answer.
    kwargs.setdefault("hide_parameters", True)
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
        # Checkpoints (copying the WAL into the database, and the fsync) run in a thread of their
        # own (WalCheckpointer): a commit that ran one waited for it, ~40 MB of pages every few
        # hundred commands. SQLite's own checkpoint after a commit stays as a backstop.
        cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_CHECKPOINT_PAGES}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    checkpointer = WalCheckpointer(url)
    event.listen(engine, "commit", lambda _connection: checkpointer.committed())
    event.listen(engine, "engine_disposed", lambda _engine: checkpointer.stop())

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


# The WAL is checkpointed by WalCheckpointer after this many commits of a process (a case
# command writes 10 to 20 pages), or by the committing connection itself at this many pages.
CHECKPOINT_EVERY_COMMITS = 500
BACKSTOP_CHECKPOINT_PAGES = 50000


class WalCheckpointer:
    """Checkpoints a SQLite database's WAL from a thread of its own, after every
    CHECKPOINT_EVERY_COMMITS commits of this process. PASSIVE checkpoints never wait for readers
    or writers; the driver lets go of the GIL while SQLite copies pages and syncs, so on a
    machine with a second core the commands go on meanwhile."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._commits = 0
        self._due = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._pid = None

    def committed(self) -> None:
        self._commits += 1  # counted under the GIL; an update lost in a race costs nothing
        if self._commits >= CHECKPOINT_EVERY_COMMITS:
            self._commits = 0
            self._start()
            self._due.set()

    def _start(self) -> None:
        # (A forked server worker starts a thread of its own, so does an engine used again after
        # it was disposed of.)
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        database = make_url(self._url).database
        if not database or database == ":memory:":
            return
        self._pid, self._stopped = os.getpid(), False
        self._thread = threading.Thread(target=self._run, args=(database,), name="onestop-wal-checkpoint", daemon=True)
        self._thread.start()

    def _run(self, database: str) -> None:
        while True:
            self._due.wait()
            self._due.clear()
            if self._stopped:
                return
            try:
                connection = sqlite3.connect(database, timeout=1)
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                finally:
                    connection.close()
            except sqlite3.Error:  # the next one will try again; the backstop still holds
                logging.getLogger("onestop.storage").warning("WAL checkpoint failed", exc_info=True)

    def stop(self) -> None:
        self._stopped = True
        self._due.set()


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


def _psycopg_unavailable() -> tuple[type, ...]:
    try:
        import psycopg
    except ImportError:  # SQLite only
        return ()
    return psycopg.OperationalError, psycopg.InterfaceError


# PostgreSQL error classes of a database that cannot work now, whatever the statement: connection
# exceptions, insufficient resources (disk full, out of memory), operator intervention (shutting
# down), and a read-only transaction (a standby, or default_transaction_read_only).
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")
_READ_ONLY_SQLSTATE = "25006"
_DRIVER_UNAVAILABLE = (sqlite3.OperationalError, sqlite3.InterfaceError, *_psycopg_unavailable())
_UNAVAILABLE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EACCES, errno.EPERM)


def storage_unavailable(error: BaseException) -> bool:
    """True when ``error`` says the database cannot be used now (full disk, read-only, unreachable,
    shutting down, its write queue stuck) rather than that a statement or a value was wrong. Such
    failures are nobody's case: the API answers 503 with Retry-After, background loops back off,
    and no incident is recorded."""
    if isinstance(error, (OperationalError, InterfaceError, *_DRIVER_UNAVAILABLE)):
        # SQLite reports a full disk, a read-only file, a lock timeout all as these (the driver's
        # own when raised by a statement the engine issues on the driver directly, BEGIN IMMEDIATE)
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        sqlstate = getattr(error.orig, "sqlstate", None) or ""
        return sqlstate[:2] in _UNAVAILABLE_SQLSTATE_CLASSES or sqlstate == _READ_ONLY_SQLSTATE
    # The SQLite write queue's lock file beside the database (a read-only or full file system).
    return isinstance(error, OSError) and error.errno in _UNAVAILABLE_ERRNOS


def read_only(engine: Engine) -> Engine:
    """The engine for plain reads, each transaction one snapshot of the database: on SQLite a
    plain BEGIN (no write lock); on PostgreSQL REPEATABLE READ, because under its default (READ
    COMMITTED) every statement sees the commits made since the one before, and a case row read
    before its events could name an older last event than the events read next."""
    return engine.execution_options(**_snapshot_options(engine))


def _snapshot_options(engine: Engine) -> dict:
    options: dict = {READ_ONLY_OPTION: True}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    return options


def create_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker:
    bind = engine.execution_options(**_snapshot_options(engine)) if read_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False)
