"""Decoding uploaded text files (BPMN, DMN, JSON forms) whatever encoding a modelling tool
saved them in: byte order marks, UTF-16 without a mark, and XML encoding declarations.
Everything is converted to UTF-8, which is how deployed files are stored."""

from __future__ import annotations

import codecs
import re


class UploadError(Exception):
    """A file that cannot be read at all; the message is shown to the designer."""


# Longest byte order marks first: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8 with a byte order mark"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 (little endian)"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 (big endian)"),
]
_FIRST_CHARACTERS = {b"<", b"{", b"[", b" ", b"\t", b"\r", b"\n"}
_XML_DECLARATION = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']")
_DECLARED_ENCODING_TEXT = re.compile(r"^(<\?xml[^>]*?encoding\s*=\s*)([\"'])([^\"']*)\2")


def decode_upload(raw: bytes, *, xml: bool) -> tuple[str, str | None]:
    """Decode an uploaded text file.

    Returns the text and, when it was not plain UTF-8, a description of the encoding it was
    converted from. Raises ``UploadError`` when the bytes cannot be decoded.
    """
    try:
        for bom, codec, label in _BOMS:
            if raw.startswith(bom):
                return raw[len(bom) :].decode(codec), label
        # UTF-16 without a byte order mark: the first character ('<' for XML, '{' or '['
        # for JSON, or white space) is ASCII, so one of its two bytes is zero.
        if raw[1:2] == b"\x00" and raw[0:1] in _FIRST_CHARACTERS:
            return raw.decode("utf-16-le"), "UTF-16 (little endian)"
        if raw[0:1] == b"\x00" and raw[1:2] in _FIRST_CHARACTERS:
            return raw.decode("utf-16-be"), "UTF-16 (big endian)"
        if b"\x00" in raw[:1024]:
            raise UploadError("it is a binary file, not text. Upload the file saved from the modeler.")
        declared = _XML_DECLARATION.match(raw) if xml else None
        encoding = codecs.lookup(declared.group(1).decode()).name if declared else "utf-8"
        # A declaration readable as ASCII cannot be right about UTF-16/32 (no zero bytes):
        # such a file was re-saved as UTF-8 without updating the declaration.
        if encoding != "utf-8" and not encoding.startswith(("utf-16", "utf-32")):
            return raw.decode(encoding), declared.group(1).decode()
        return raw.decode("utf-8"), None
    except LookupError:
        raise UploadError("its XML declaration names an unknown encoding. Save the file as UTF-8.") from None
    except UnicodeDecodeError as error:
        raise UploadError(
            f"it is not valid text in {error.encoding} (bad byte at position {error.start}). Save the file as UTF-8."
        ) from None


def declare_utf8(text: str) -> str:
    """Make the XML declaration (if any) say UTF-8, as the text is going to be stored so.
    A declaration that already says UTF-8 is left as it is."""

    def utf8(match: re.Match) -> str:
        if match.group(3).lower().replace("_", "-") in ("utf-8", "utf8"):
            return match.group(0)
        return f'{match.group(1)}"UTF-8"'

    return _DECLARED_ENCODING_TEXT.sub(utf8, text, count=1)
