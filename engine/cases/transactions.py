"""The transactions of case commands.

Every command is one transaction. On PostgreSQL it locks the case row (``SELECT ... FOR
UPDATE``) and other cases go on in parallel. SQLite has one write lock for the whole database,
taken in turn through the write queue (``engine.db.writer_queue``). A command that held it from
its first read to its commit would make every other command wait while it runs its
SpiffWorkflow steps, serializes and hashes: the work of all server processes would pass through
one core.

So on SQLite a command may *write late*. It reads and computes on a snapshot, outside the
queue. When it is ready to write (``start_writing``) it takes its turn in the queue and turns
its snapshot into the write transaction: SQLite allows that when nothing was committed since
the snapshot began, and then the case is as it was read. Otherwise (or when a writer outside
the queue holds the lock) it ends the snapshot, begins the write transaction afresh and checks
that the case still has the version it read. If another command changed the case in between,
the attempt is dropped (``StaleRead``) and ``retry_stale_reads`` runs the command again on
fresh data. This is the same optimistic check ``store.save_case`` makes, done before anything
is written. Only commands whose writes all come after ``start_writing`` may write late.
"""

from __future__ import annotations

import sqlite3
from contextlib import ExitStack, contextmanager
from typing import Callable, Iterator, TypeVar

from sqlalchemy import Connection, Engine

from engine.errors import Conflict
from engine.storage import store
from engine.storage.db import read_only, writer_queue

T = TypeVar("T")

# Keys of ``Connection.info`` during a command's transaction.
_AFTER_COMMIT = "onestop_after_commit"  # what runs once the transaction has committed
_START_WRITING = "onestop_start_writing"  # ends the snapshot of a command that writes late

# A write that changes nothing: it makes SQLite turn a read snapshot into a write transaction,
# which it does only while the snapshot is the latest state of the database.
_TAKE_WRITE_LOCK = "UPDATE case_number_counters SET last_number = last_number WHERE 0"
_SQLITE_BUSY, _SQLITE_BUSY_SNAPSHOT = 5, 517

# Attempts of a command whose case keeps changing under it. Another attempt is rare: it takes
# two commands on one case at the same moment (a clerk and the agency answer, say).
STALE_READ_ATTEMPTS = 5


class StaleRead(Exception):
    """The case changed after this attempt read it; nothing was written."""


class CommandTransactions:
    def __init__(self, db: Engine) -> None:
        self._db = db
        self._snapshots = read_only(db)
        self.writers = writer_queue(db)
        self._can_write_late = db.dialect.name == "sqlite"

    @contextmanager
    def __call__(self, *, write_late: bool = False) -> Iterator[Connection]:
        """One command's transaction. What must wait until it has committed (keeping the
        workflow a command left behind) is queued with ``after_commit``."""
        pending: list[Callable[[], None]] = []
        # The write queue is left only after the transaction ended, whenever it was entered.
        with ExitStack() as queue:
            late = write_late and self._can_write_late
            if not late:
                queue.enter_context(self.writers())
            with (self._snapshots if late else self._db).begin() as conn:
                conn.info[_AFTER_COMMIT] = pending
                if late:
                    conn.info[_START_WRITING] = lambda: self._end_snapshot(conn, queue)
                try:
                    yield conn
                finally:
                    conn.info.pop(_AFTER_COMMIT, None)
                    conn.info.pop(_START_WRITING, None)
        for action in pending:
            action()

    def _end_snapshot(self, conn: Connection, queue: ExitStack) -> bool:
        """Take the write lock; True if the snapshot became the write transaction (nothing was
        committed since it began), False if it was ended and a new transaction begun."""
        driver = conn.connection.driver_connection
        queue.enter_context(self.writers())
        try:
            driver.execute(_TAKE_WRITE_LOCK)
            return True
        except sqlite3.OperationalError as error:
            # SQLITE_BUSY_SNAPSHOT: another writer committed after the snapshot began; SQLITE_BUSY:
            # a writer outside the queue holds the lock (a snapshot does not wait for it).
            if getattr(error, "sqlite_errorcode", None) not in (_SQLITE_BUSY, _SQLITE_BUSY_SNAPSHOT):
                raise
        driver.execute("ROLLBACK")  # the snapshot only read
        driver.execute("BEGIN IMMEDIATE")
        return False

    @staticmethod
    def start_writing(conn: Connection, case_id: str, read_version: int) -> None:
        """Called before a command's first write. For a command that writes late: take the
        write lock, then make sure the case is as it was read, or raise StaleRead."""
        end_snapshot = conn.info.pop(_START_WRITING, None)
        if end_snapshot is None:
            return  # the transaction has been writing from the start
        if end_snapshot():
            return  # still on the snapshot the case was read in
        if store.case_version(conn, case_id) != read_version:
            raise StaleRead(case_id)

    @staticmethod
    def after_commit(conn: Connection, action: Callable[[], None]) -> None:
        pending = conn.info.get(_AFTER_COMMIT)
        if pending is not None:  # outside a command's transaction nothing is kept for later
            pending.append(action)

    @staticmethod
    def retry_stale_reads(attempt: Callable[[], T]) -> T:
        """Run ``attempt`` (a whole command that writes late) until it did not read stale
        data; after STALE_READ_ATTEMPTS, the command lost its race."""
        for _ in range(STALE_READ_ATTEMPTS - 1):
            try:
                return attempt()
            except StaleRead:
                continue
        try:
            return attempt()
        except StaleRead as error:
            raise Conflict(store.RACE_MESSAGE, case_id=str(error)) from error
