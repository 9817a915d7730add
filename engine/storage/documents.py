"""The document store: where the bytes of the files attached to cases live.

The database keeps what a file is (``case_documents``: kind, name, sniffed type, size, SHA-256)
and the case's event log keeps its SHA-256; the bytes go through a ``DocumentStore``:

- ``FolderDocumentStore`` (the default): files in a local folder, written to a temporary name,
  flushed to disk and renamed, so a crash never leaves half a file under a real key;
- ``S3DocumentStore``: an S3-compatible object store (AWS S3, MinIO, Ceph...) through boto3.

Keys are chosen by the engine (``documents/<year>/<month>/<document id>``), never by a sender.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class DocumentMissing(LookupError):
    """The store has nothing under this key."""


class DocumentStore(Protocol):
    name: str

    def put(self, key: str, content: bytes, media_type: str) -> None:
        """Store ``content`` under ``key`` (replacing nothing: keys are new) or raise."""

    def get(self, key: str) -> bytes:
        """The bytes under ``key``; ``DocumentMissing`` when there are none."""

    def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing key is not an error."""

    def health(self) -> dict[str, Any]:
        """{"status": "ok" | "down", ...}"""


def checked_key(key: str) -> str:
    if not KEY_PATTERN.match(key) or len(key) > 300:
        raise ValueError(f"not a document key: {key!r}")
    return key


class FolderDocumentStore:
    name = "folder"

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return self.folder / checked_key(key)

    def put(self, key: str, content: bytes, media_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(content)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, 0o600)  # personal documents: readable by the service only
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise DocumentMissing(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def health(self) -> dict[str, Any]:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            writable = os.access(self.folder, os.W_OK)
        except OSError as error:
            return {"status": "down", "store": self.name, "error": str(error)}
        return {"status": "ok" if writable else "down", "store": self.name, "writable": writable}


class S3DocumentStore:
    """An S3-compatible bucket. Credentials come from boto3's usual sources (environment,
    instance role, shared files); ``endpoint_url`` points at a non-AWS server (MinIO...)."""

    name = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        client: Any = None,
    ) -> None:
        if client is None:
            import boto3  # only deployments that choose S3 need it loaded

            client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
        self.client, self.bucket = client, bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def _key(self, key: str) -> str:
        return self.prefix + checked_key(key)

    def put(self, key: str, content: bytes, media_type: str) -> None:
        # The server checks the bytes it got against the SHA-256 sent along.
        checksum = base64.b64encode(hashlib.sha256(content).digest()).decode("ascii")
        self.client.put_object(
            Bucket=self.bucket, Key=self._key(key), Body=content, ContentType=media_type, ChecksumSHA256=checksum
        )

    def get(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            raise DocumentMissing(key) from None
        return answer["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def health(self) -> dict[str, Any]:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as error:  # any failure to reach the bucket: the store is down
            return {"status": "down", "store": self.name, "bucket": self.bucket, "error": type(error).__name__}
        return {"status": "ok", "store": self.name, "bucket": self.bucket}
