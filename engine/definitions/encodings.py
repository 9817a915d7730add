"""Decoding uploaded text files (BPMN, DMN, JSON forms) whatever encoding a modelling tool
saved them in: byte order marks, UTF-16 without a mark, and XML encoding declarations.
Everything is converted to UTF-8, which is how deployed files are stored."""

from __future__ import annotations

import codecs
import re

from engine.definitions.findings import Text
from engine.definitions.kinds import words


class UploadError(Exception):
    """A file that cannot be read at all: the kind of finding that says why, and its values."""

    def __init__(self, kind: str, **params) -> None:
        super().__init__(kind)
        self.kind = kind
        self.params = params


# Longest byte order marks first: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le", "encoding-utf32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "encoding-utf32"),
    (codecs.BOM_UTF8, "utf-8", "encoding-utf8-bom"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "encoding-utf16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "encoding-utf16-be"),
]
_FIRST_CHARACTERS = {b"<", b"{", b"[", b" ", b"\t", b"\r", b"\n"}
_XML_DECLARATION = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']")
_DECLARED_ENCODING_TEXT = re.compile(r"^(<\?xml[^>]*?encoding\s*=\s*)([\"'])([^\"']*)\2")


def decode_upload(raw: bytes, *, xml: bool) -> tuple[str, Text | str | None]:
    """Decode an uploaded text file.

    Returns the text and, when it was not plain UTF-8, the encoding it was converted from (words,
    or the name the file declared). Raises ``UploadError`` when the bytes cannot be decoded.
    """
    try:
        for bom, codec, label in _BOMS:
            if raw.startswith(bom):
                return raw[len(bom) :].decode(codec), words(label)
        # UTF-16 without a byte order mark: the first character ('<' for XML, '{' or '['
        # for JSON, or white space) is ASCII, so one of its two bytes is zero.
        if raw[1:2] == b"\x00" and raw[0:1] in _FIRST_CHARACTERS:
            return raw.decode("utf-16-le"), words("encoding-utf16-le")
        if raw[0:1] == b"\x00" and raw[1:2] in _FIRST_CHARACTERS:
            return raw.decode("utf-16-be"), words("encoding-utf16-be")
        if b"\x00" in raw[:1024]:
            raise UploadError("file-binary")
        declared = _XML_DECLARATION.match(raw) if xml else None
        encoding = codecs.lookup(declared.group(1).decode()).name if declared else "utf-8"
        # A declaration readable as ASCII cannot be right about UTF-16/32 (no zero bytes):
        # such a file was re-saved as UTF-8 without updating the declaration.
        if encoding != "utf-8" and not encoding.startswith(("utf-16", "utf-32")):
            return raw.decode(encoding), declared.group(1).decode()
        return raw.decode("utf-8"), None
    except LookupError:
        raise UploadError("file-unknown-encoding") from None
    except UnicodeDecodeError as error:
        raise UploadError("file-bad-bytes", encoding=error.encoding, position=error.start) from None


def declare_utf8(text: str) -> str:
    """Make the XML declaration (if any) say UTF-8, as the text is going to be stored so.
    A declaration that already says UTF-8 is left as it is."""

    def utf8(match: re.Match) -> str:
        if match.group(3).lower().replace("_", "-") in ("utf-8", "utf8"):
            return match.group(0)
        return f'{match.group(1)}"UTF-8"'

    return _DECLARED_ENCODING_TEXT.sub(utf8, text, count=1)
