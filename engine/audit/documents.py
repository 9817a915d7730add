"""The files attached to cases, as auditors check them.

Each ``document_attached`` event holds a file's SHA-256, and the hash chain holds the event: so
the history proves which bytes were received. ``check_documents`` compares that with what is
kept now (the ``case_documents`` row and the bytes in the document store), and retention
copies the files beside an archive (``archive_documents``), checks the copies, and removes the
originals from the store once the case is purged.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Iterable

from engine.events import DOCUMENT_ATTACHED
from engine.storage.documents import DocumentMissing, DocumentStore
from engine.storage.models import CaseDocument, CaseEvent

log = logging.getLogger("onestop.documents")


def attached(events: Iterable[CaseEvent]) -> list[CaseEvent]:
    """The file events whose file is kept: anonymisation removes a file with its name (the event
    keeps its SHA-256, size and type, and its hash still holds)."""
    return [event for event in events if _field(event, "type") == DOCUMENT_ATTACHED and not _field(event, "redacted")]


def _field(event: CaseEvent | dict, name: str):
    """Events as the database gives them, or as an archive file holds them."""
    return event.get(name) if isinstance(event, dict) else getattr(event, name)


def check_documents(
    events: list[CaseEvent], rows: dict[str, CaseDocument], store: DocumentStore | None
) -> list[tuple[int, str]]:
    """(seq, problem) for every attached file whose row or bytes no longer match its event."""
    problems = []
    for event in attached(events):
        recorded = event.payload
        name = f"document {recorded.get('file_name')!r} (event {event.seq})"
        row = rows.get(recorded.get("document_id"))
        if row is None:
            problems.append((event.seq, f"{name} has no record in case_documents"))
            continue
        if (row.sha256, row.size, row.media_type) != (recorded["sha256"], recorded["size"], recorded["media_type"]):
            problems.append((event.seq, f"{name}: its record differs from the one in the event log"))
            continue
        problem = stored_file_problem(store, row)
        if problem:
            problems.append((event.seq, f"{name}: {problem}"))
    return problems


def stored_file_problem(store: DocumentStore | None, row: CaseDocument) -> str | None:
    """None if the store holds the row's bytes; else what is wrong."""
    return read_checked(store, row)[1]


def read_checked(store: DocumentStore | None, row: CaseDocument) -> tuple[bytes | None, str | None]:
    """(the row's bytes, None) if the store holds exactly them; else (None, what is wrong)."""
    if store is None:
        return None, "no document store is configured to read it from"
    try:
        content = store.get(row.storage_key)
    except DocumentMissing:
        return None, "its file is missing from the document store"
    except Exception as error:  # the store could not be read: not proven, so not ok
        return None, f"its file could not be read ({type(error).__name__})"
    if hashlib.sha256(content).hexdigest() != row.sha256:
        return None, "its file's SHA-256 differs from the one recorded when it was received"
    return content, None


# ---------------------------------------------------------------------- retention
def files_folder(archive_path: Path) -> Path:
    """Where the files of an archive's cases go: ``<archive name>.files/`` beside it."""
    return archive_path.with_name(archive_path.name + ".files")


def archive_documents(store: DocumentStore | None, records: list[dict], archive_path: Path) -> None:
    """Copy every file of the archived cases beside the archive (``<document id>``), flushed
    and checked against its SHA-256; raise (and so purge nothing) if one cannot be copied."""
    rows = [row for record in records for row in record["related"].get(CaseDocument.__tablename__, [])]
    if not rows:
        return
    if store is None:
        raise OSError("the archived cases have files and no document store is configured to copy them")
    folder = files_folder(archive_path)
    folder.mkdir(parents=True, exist_ok=True)
    for row in rows:
        content = store.get(row["storage_key"])
        if hashlib.sha256(content).hexdigest() != row["sha256"]:
            raise OSError(f"document {row['id']} does not match its SHA-256; nothing was purged")
        target = folder / row["id"]
        with open(target, "xb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if hashlib.sha256(target.read_bytes()).hexdigest() != row["sha256"]:
            raise OSError(f"the copy of document {row['id']} does not read back as written; nothing was purged")


def remove_files(store: DocumentStore | None, keys: list[str]) -> list[str]:
    """Remove files of cases purged or anonymised from the store; returns the keys it could not
    remove (their records are gone: remove them by hand)."""
    if store is None:
        return list(keys)
    left = []
    for key in keys:
        try:
            store.delete(key)
        except Exception:
            log.warning("could not remove the document %s", key, exc_info=True)
            left.append(key)
    return left


def archived_document_problems(record: dict, archive_path: Path) -> list[str]:
    """What is wrong with the copies of one archived case's files (checked against its events)."""
    folder = files_folder(archive_path)
    problems = []
    for event in attached(record["events"]):
        copy = folder / str(event["payload"]["document_id"])
        if not copy.is_file():
            problems.append(f"the archived copy of document {event['payload']['file_name']!r} is missing")
        elif hashlib.sha256(copy.read_bytes()).hexdigest() != event["payload"]["sha256"]:
            problems.append(f"the archived copy of document {event['payload']['file_name']!r} differs from its event")
    return problems
