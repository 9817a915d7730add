"""What several nodes share instead of local files: leases, and the document store's identity.

``LeaseHolder`` is one process's claim on a lease (engine.storage.leases): the embedded
scheduler's leadership among every server process of every node, or the active Celery beat
among its standbys. ``acquire()`` answers whether this process holds it now; it renews the lease
in the database when a third of its period has passed, so a holder writes a few times a period,
not at every call, and a standby asks a few times a period. A holder that dies stops renewing,
and another takes over once the lease has run out: the cost of a lost holder is at most a period
and a third (``seconds``) without that work. A clean stop releases the lease for the next at once.

``check_shared_document_store`` makes sure every node writes attached files where the others
read them: the first node leaves a mark (a random token) in the store and records it in the
database; a node whose store lacks that mark (a local folder on a machine of its own) refuses to
start, instead of accepting uploads no other node can serve.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from datetime import datetime, timezone

from engine.errors import EngineError
from engine.storage import leases
from engine.storage.documents import DocumentMissing

log = logging.getLogger("onestop.leases")

DEFAULT_LEASE_SECONDS = 15.0
# The leases of the one scheduling process: the embedded scheduler's leader, the active Celery beat.
SCHEDULER_LEASE = "embedded-scheduler"
BEAT_LEASE = "celery-beat"


def holder_name() -> str:
    """This process, recognisably (machine and pid) and uniquely (a pid comes back after a restart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class LeaseHolder:
    def __init__(self, db, name: str, *, seconds: float = DEFAULT_LEASE_SECONDS) -> None:
        self.db, self.name, self.seconds = db, name, seconds
        self.holder, self._pid = holder_name(), os.getpid()
        self._renewed_at: float | None = None  # time.monotonic() of the last successful renewal
        self._refused_at: float | None = None  # ... of the last attempt that found another holder
        self._lock = threading.Lock()

    def renew_in(self) -> float:
        """Seconds until the holder must renew (a loop that holds it sleeps no longer than this)."""
        renewed = self._renewed_at
        if renewed is None:
            return self.seconds / 3
        return max(0.0, self.seconds / 3 - (time.monotonic() - renewed))

    def acquire(self) -> bool:
        """True when this process holds the lease now (taken or renewed if it was due)."""
        with self._lock:
            if self._pid != os.getpid():  # a forked child (gunicorn --preload): a holder of its own
                self.holder, self._pid = holder_name(), os.getpid()
                self._renewed_at = self._refused_at = None
            renewed = self._renewed_at
            if renewed is not None and time.monotonic() - renewed < self.seconds / 3:
                return True
            refused = self._refused_at
            if renewed is None and refused is not None and time.monotonic() - refused < self.seconds / 3:
                return False  # a standby asks a few times a period, not at every call
            started = time.monotonic()
            try:
                with self.db.begin() as conn:
                    until = leases.hold(conn, self.name, self.holder, self.seconds)
            except Exception:
                self._renewed_at = None  # unsure whether it still holds: it does not act
                raise
            if until is None:
                if renewed is not None:
                    log.warning("lease %s: lost to another process", self.name)
                self._renewed_at, self._refused_at = None, time.monotonic()
                return False
            if renewed is None:
                log.info("lease %s: held by %s", self.name, self.holder)
            # Counted from before the write: the database's period may have started then.
            self._renewed_at, self._refused_at = started, None
            return True

    def release(self) -> None:
        with self._lock:
            if self._renewed_at is None:
                return
            self._renewed_at = None
            try:
                with self.db.begin() as conn:
                    leases.release(conn, self.name, self.holder)
            except Exception as error:  # noqa: BLE001 - it then runs out by itself
                log.warning("lease %s: could not release it (%s); it runs out by itself", self.name, error)


class NoLease:
    """The claim of a process that is alone (a test's one scheduler, a single-process tool): always held."""

    def acquire(self) -> bool:
        return True

    def renew_in(self) -> float:
        return float("inf")

    def release(self) -> None:
        pass


def lease_holder(db, name: str) -> dict | None:
    """Who holds the lease ``name`` (for health and tests): holder, since, until."""
    with db.connect() as conn:
        row = leases.holder_of(conn, name)
    if row is None:
        return None
    holder, acquired_at, expires_at = row
    return {"holder": holder, "since": acquired_at, "until": expires_at}


DOCUMENT_STORE_MARK = "document-store"
MARKS_FOLDER = "onestop-store-marks"


class DocumentStoreNotShared(EngineError):
    """This node's document store is not the one the other nodes use."""

    kind = "document-store-not-shared"


def check_shared_document_store(db, store) -> str:
    """Check that ``store`` is the document store every node of this database uses; the mark.
    Raises DocumentStoreNotShared when it is not.

    The first node writes a mark of its own (``onestop-store-marks/<token>``: a key no other node
    writes, so nodes starting at once overwrite nothing) before recording the token in the
    database, where the first record wins; a node then checks that its store holds the winner's
    mark. A node on the same store finds it (the winner wrote it before recording it); a node on
    a store of its own does not."""
    with db.connect() as conn:
        recorded = leases.recorded_mark(conn, DOCUMENT_STORE_MARK)
    own = None
    if recorded is None:
        own = secrets.token_hex(16)
        store.put(f"{MARKS_FOLDER}/{own}", own.encode("ascii"), "text/plain")
        with db.begin() as conn:
            recorded = leases.mark(conn, DOCUMENT_STORE_MARK, own, datetime.now(timezone.utc))
    try:
        store.get(f"{MARKS_FOLDER}/{recorded}")
    except DocumentMissing:
        raise DocumentStoreNotShared(
            f"The document store of this node ({_describe(store)}) is not the one the other nodes "
            "use: mount the shared folder at ONESTOP_DOCUMENT_FOLDER, or use ONESTOP_DOCUMENT_STORE=s3 "
            "(docs/deployment.md)",
            store=store.name,
        ) from None
    finally:
        if own is not None and own != recorded:
            store.delete(f"{MARKS_FOLDER}/{own}")  # another node's mark was recorded first
    return recorded


def _describe(store) -> str:
    folder = getattr(store, "folder", None)
    if folder is not None:
        return f"folder {os.path.abspath(folder)}"
    return f"bucket {getattr(store, 'bucket', '?')}"
