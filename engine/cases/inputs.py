"""What commands accept from outside: plain JSON, form data matching its schema, access codes."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from engine.definitions.deployments import ParsedDefinition
from engine.errors import InvalidInput
from engine.registries import FormFormats

ACCESS_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
ACCESS_CODE_LENGTH = 8


def new_access_code() -> str:
    # 32 letters: each random byte gives one by its low five bits, uniformly.
    return "".join(ACCESS_CODE_ALPHABET[byte & 31] for byte in secrets.token_bytes(ACCESS_CODE_LENGTH))


def access_code_matches(case, code: str) -> bool:
    return hmac.compare_digest(case.access_code.encode(), (code or "").encode())


@dataclass(frozen=True)
class DataLimits:
    """How big case and task data (and message payloads) from outside may be: checked before
    anything reaches SpiffWorkflow, each breach answered by the field it is in."""

    max_bytes: int = 256 * 1024  # the whole value as compact JSON
    max_string: int = 20_000  # characters in one string (keys included)
    max_depth: int = 20  # objects and arrays within each other


def check_limits(value: Any, field: str, limits: DataLimits) -> None:
    """Refuse ``value`` if it nests too deep or holds too long a string, naming where. Walked
    without recursion: a value nested a million deep must not exhaust Python's stack here."""
    pending: list[tuple[Any, str, int]] = [(value, field, 1)]
    while pending:
        item, path, depth = pending.pop()
        if isinstance(item, (dict, list)):
            if depth > limits.max_depth:
                raise _too_big(path, f"nested deeper than {limits.max_depth} levels")
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                if isinstance(key, str) and len(key) > limits.max_string:
                    raise _too_big(path, f"has a key longer than {limits.max_string} characters")
                pending.append((child, f"{path}/{key}", depth + 1))
        elif isinstance(item, str) and len(item) > limits.max_string:
            raise _too_big(path, f"longer than {limits.max_string} characters")


def _too_big(path: str, message: str) -> InvalidInput:
    return InvalidInput(f"'{path}' is {message}", errors=[{"field": path, "message": f"is {message}"}])


def ensure_json(value: Any, field: str, limits: DataLimits | None = None) -> Any:
    if limits is not None:
        check_limits(value, field, limits)
    try:
        text = json.dumps(value, allow_nan=False, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError, RecursionError) as error:
        raise InvalidInput(f"'{field}' must be plain JSON", errors=[{"field": field, "message": str(error)}]) from error
    if limits is not None and len(text.encode("utf-8")) > limits.max_bytes:
        raise _too_big(field, f"larger than {limits.max_bytes} bytes as JSON")
    return json.loads(text)


def ensure_object(value: Any, field: str, limits: DataLimits | None = None) -> dict:
    value = ensure_json(value or {}, field, limits)
    if not isinstance(value, dict):
        raise InvalidInput(f"'{field}' must be an object", errors=[{"field": field, "message": "must be an object"}])
    return value


def validate_form(
    definition: ParsedDefinition, form_key: str | None, data: dict, formats: FormFormats | None = None
) -> None:
    """Check submitted data against the task's JSON Schema (with the domain's extra formats);
    every mismatch is reported by field."""
    validator = definition.form_validator(form_key, formats) if form_key else None
    if validator is None:
        return  # validation at deploy guarantees that referenced forms exist
    found = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    # A value failing its format (a national ID's checksum) usually fails the field's pattern
    # too; the format says more, so the clerk reads one message for one mistake.
    failed_format = {tuple(error.absolute_path) for error in found if error.validator == "format"}
    errors = [
        _field_error(error)
        for error in found
        if not (error.validator == "pattern" and tuple(error.absolute_path) in failed_format)
    ]
    if errors:
        raise InvalidInput(f"The data does not match the form '{form_key}'", errors=errors)


def validate_start_form(definition: ParsedDefinition, form: str | None, data: dict, formats: FormFormats) -> None:
    """A case started with the data of one of its procedure's forms (an online application
    fills the counter's form): the data must match that form, which must exist."""
    if form is None:
        return
    if form not in definition.forms:
        message = f"The procedure '{definition.process_key}' has no form '{form}'"
        raise InvalidInput(message, errors=[{"field": "form", "message": "no such form in the procedure"}])
    validate_form(definition, form, data, formats)


LIMIT_KEYWORDS = {
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
}


def _field_error(error) -> dict[str, Any]:
    """A mismatch by field, with what a page needs to say it in its own language: the JSON
    Schema keyword, and the missing property, the limit or the format it concerns."""
    found: dict[str, Any] = {
        "field": "/".join(str(part) for part in error.absolute_path) or "(form)",
        "message": error.message,
        "keyword": error.validator,
    }
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        found["property"] = next((name for name in missing if error.message.startswith(repr(name))), None)
    elif error.validator in LIMIT_KEYWORDS:
        found["limit"] = error.validator_value
    elif error.validator == "format":
        found["format"] = error.validator_value
    return found


def sender_key(command) -> str | None:
    """The stored form of a StartCase's Idempotency-Key: the key hashed with who sent it (its
    ``idempotency_scope``, else its actor). Another sender's same key starts their own case and
    never gets this one (nor its access code); the column's length holds whatever the key's."""
    if not command.idempotency_key:
        return None
    sender = command.idempotency_scope or command.actor or ""
    return hashlib.sha256(f"{sender}\x00{command.idempotency_key}".encode()).hexdigest()
