"""Files attached to cases, a part of the command handlers (``CommandHandlers`` inherits it).

A file is checked before anything is written: its type is sniffed from its content (the
``filetype`` package reads the magic numbers; the name and the type the sender claimed count
for nothing), it must be one of the allowed types and not larger than allowed. Then its bytes go
to the document store under a key the engine chooses, and the command records, in one
transaction, a ``case_documents`` row and a ``document_attached`` event carrying the file's
SHA-256: the hash chain covers it, and verification compares the stored bytes with it. If the
transaction fails, the stored bytes are removed again.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Callable, Mapping

import filetype
from sqlalchemy import Connection, insert

from engine import commands as cmd
from engine.cases.changes import CaseChanges
from engine.cases.inputs import ensure_json
from engine.errors import InvalidInput, NotAllowed, TooLarge
from engine.events import DOCUMENT_ATTACHED, MESSAGE_DELIVERED, PendingEvent
from engine.results import CaseChanged
from engine.storage import store
from engine.storage.models import CaseDocument

log = logging.getLogger("onestop.documents")
DOCUMENTS = CaseDocument.__table__
OCCASIONS = ("application", "supplement", "attachment")
# A document's kind is a code of the domain (birth_certificate), never free text.
KIND_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")


@dataclass(frozen=True)
class DocumentRules:
    """Which files a case accepts: media type -> the name people know it by, and the limits."""

    media_types: Mapping[str, str] = field(
        default_factory=lambda: {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
    )
    max_bytes: int = 10 * 1024 * 1024
    max_files: int = 20

    def described(self) -> str:
        names = list(self.media_types.values())
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


@dataclass(frozen=True)
class CheckedUpload:
    id: str
    storage_key: str
    kind: str
    file_name: str
    media_type: str
    size: int
    sha256: str
    content: bytes = field(repr=False)

    def described(self) -> dict:
        """What the event log and the API say of the file."""
        return {
            "document_id": self.id,
            "kind": self.kind,
            "file_name": self.file_name,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
        }


def clean_file_name(name: str | None) -> str:
    """The sender's file name without folders or control characters, at most 255 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C").strip()
    return base[:255] or "document"


def sniff(content: bytes) -> str | None:
    """The media type the content's magic numbers say, or None if unknown."""
    return filetype.guess_mime(content[:8192])


def check_uploads(uploads: tuple[cmd.Upload, ...], rules: DocumentRules, now: datetime) -> list[CheckedUpload]:
    """The uploads, checked and described; an error names every file that is refused."""
    if len(uploads) > rules.max_files:
        raise InvalidInput(
            f"At most {rules.max_files} files can be sent at once",
            errors=[{"field": "documents", "message": f"{len(uploads)} files; at most {rules.max_files}"}],
        )
    checked, errors, too_large = [], [], []
    for index, upload in enumerate(uploads):
        name, content = clean_file_name(upload.file_name), upload.content or b""
        media_type = sniff(content) if content else None
        refusal = _refusal(upload, content, media_type, rules)
        if refusal is not None:
            code, message = refusal
            errors.append({"field": f"documents/{index}", "file": name, "code": code, "message": message})
            too_large.append(len(content) > rules.max_bytes)
            continue
        document_id = str(uuid.uuid4())
        checked.append(
            CheckedUpload(
                id=document_id,
                storage_key=f"documents/{now:%Y}/{now:%m}/{document_id}",
                kind=upload.kind,
                file_name=name,
                media_type=media_type,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
            )
        )
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        error_class = TooLarge if all(too_large) else InvalidInput
        raise error_class(f"The file '{first['file']}' {first['message']}{more}", errors=errors)
    return checked


def _refusal(
    upload: cmd.Upload, content: bytes, media_type: str | None, rules: DocumentRules
) -> tuple[str, str] | None:
    """Why the upload is refused: a code, and the rest of a sentence that begins with its name."""
    if not isinstance(upload.kind, str) or not KIND_PATTERN.match(upload.kind):
        return "no_kind", "does not say which document it is (a code such as birth_certificate)"
    if not content:
        return "empty", "is empty"
    if len(content) > rules.max_bytes:
        return "too_large", f"is {_size(len(content))}; a file may be at most {_size(rules.max_bytes)}"
    if media_type not in rules.media_types:
        found = f"its content is {media_type}" if media_type else "its content is of no known type"
        return "not_accepted_type", f"is not a {rules.described()} file ({found}), whatever its name says"
    return None


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MB" if count >= 1024 * 1024 else f"{count / 1024:.0f} kB"


class DocumentCommands(CaseChanges):
    def attach_documents(self, command: cmd.AttachDocuments) -> CaseChanged:
        if not command.documents:
            raise InvalidInput("No file was sent", errors=[{"field": "documents", "message": "send at least one file"}])
        if command.occasion not in OCCASIONS:
            raise InvalidInput(
                f"Unknown occasion '{command.occasion}'",
                errors=[{"field": "occasion", "message": f"must be one of {', '.join(OCCASIONS)}"}],
            )
        if command.message is None:
            return self._with_uploads(command.documents, partial(self._attach_to_case, command))
        attach = partial(self._attach_with_message, command)
        return self._with_uploads(
            command.documents, lambda stored: self._transaction.retry_stale_reads(partial(attach, stored))
        )

    def _attach_to_case(self, command: cmd.AttachDocuments, stored: list[CheckedUpload]) -> CaseChanged:
        """Files alone change no workflow: their events are chained like a claim's."""
        with self._transaction() as conn:
            store.ensure_reachable(conn, command.case_id, command.access)
            case = self._load_running_case(conn, command.case_id)
            now = self._clock.now()
            read_version = case.version
            rows = self._chain(case, self._document_events(stored, command.actor, command.occasion), now)
            case.updated_at = now
            store.save_case(conn, case, read_version)
            store.append_events(conn, rows)
            self._insert_documents(conn, case.id, stored, command.actor, command.occasion, now)
            return CaseChanged(case.id, case.status, case.last_event_seq)

    def _attach_with_message(self, command: cmd.AttachDocuments, stored: list[CheckedUpload]) -> CaseChanged:
        name, payload = command.message
        delivered = PendingEvent(
            MESSAGE_DELIVERED, command.actor, {"name": name, "payload": ensure_json(payload, "payload")}
        )
        with self._transaction(write_late=True) as conn:
            store.ensure_reachable(conn, command.case_id, command.access)
            case = self._load_running_case(conn, command.case_id)
            definition = self._deployments.get(conn, case.definition_id)
            attached = self._document_events(stored, command.actor, command.occasion)
            changed = self._change_case(conn, case, definition, delivered, extra_events=attached)
            self._insert_documents(conn, case.id, stored, command.actor, command.occasion, case.updated_at)
            return changed

    # ------------------------------------------------------------------ shared with StartCase
    def _with_uploads(self, uploads: tuple[cmd.Upload, ...], run: Callable[[list[CheckedUpload]], Any]) -> Any:
        """Store the uploads' bytes before the command's transaction (it may take a while: no
        lock is held meanwhile), run the command with them, and remove them again if it fails
        or answered with an earlier result (an idempotent retry) that does not refer to them."""
        stored = self._store_uploads(uploads)
        try:
            result = run(stored)
        except BaseException:
            self._discard(stored)
            raise
        if getattr(result, "existing", False):
            self._discard(stored)
        return result

    def _store_uploads(self, uploads: tuple[cmd.Upload, ...]) -> list[CheckedUpload]:
        """Check every upload, then store their bytes (all of them, or none)."""
        if not uploads:
            return []
        if self._documents is None:
            raise NotAllowed("This office takes no files: no document store is configured")
        checked = check_uploads(uploads, self._document_rules, self._clock.now())
        stored: list[CheckedUpload] = []
        try:
            for upload in checked:
                self._documents.put(upload.storage_key, upload.content, upload.media_type)
                stored.append(upload)
        except BaseException:
            self._discard(stored)
            raise
        return checked

    def _discard(self, stored: list[CheckedUpload]) -> None:
        """Remove stored bytes no committed row refers to (best effort: a leftover is harmless)."""
        for upload in stored:
            try:
                self._documents.delete(upload.storage_key)
            except Exception:
                log.warning("could not remove the unused document %s", upload.storage_key, exc_info=True)

    @staticmethod
    def _document_events(stored: list[CheckedUpload], actor: str | None, occasion: str) -> list[PendingEvent]:
        return [
            PendingEvent(DOCUMENT_ATTACHED, actor, {**upload.described(), "occasion": occasion}) for upload in stored
        ]

    @staticmethod
    def _insert_documents(
        conn: Connection, case_id: str, stored: list[CheckedUpload], actor: str | None, occasion: str, now: datetime
    ) -> None:
        if stored:
            conn.execute(
                insert(DOCUMENTS),
                [
                    {
                        "id": upload.id,
                        "case_id": case_id,
                        "kind": upload.kind,
                        "file_name": upload.file_name,
                        "media_type": upload.media_type,
                        "size": upload.size,
                        "sha256": upload.sha256,
                        "storage_key": upload.storage_key,
                        "occasion": occasion,
                        "attached_at": now,
                        "attached_by": actor,
                    }
                    for upload in stored
                ],
            )
