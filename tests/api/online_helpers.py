"""Files and steps the online-application tests share (API and browser)."""

from __future__ import annotations

import re
import struct
import zlib

from tests.procedures.journeys import JOURNEYS

# Real files of each accepted type, small; and one that is not what its name says.
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
EXECUTABLE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run"
)


def png(width: int = 2, height: int = 2) -> bytes:
    """A valid PNG of a grey square."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG = png(160, 100)
APPLICANT_ID = "A123456789"  # 王小明 in the agency simulator's household register
APPLICANT_PHONE = "0912345678"
# The counter's birth form less what the office fills for an online applicant.
BIRTH_FORM = {
    key: value
    for key, value in JOURNEYS["birth_registration"].receive.items()
    if key not in ("national_id", "documents_presented")
}
CODE_IN_TEXT = re.compile(r"\b(\d{6})\b")


def code_from(body: str) -> str:
    return CODE_IN_TEXT.search(body).group(1)
