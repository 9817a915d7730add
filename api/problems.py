"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error the API returns has a stable ``type``, a human ``title``, the HTTP ``status``, a
``detail`` and, where it helps, ``errors`` naming fields or ``findings`` naming BPMN elements.
"""

from __future__ import annotations

import http
import logging

from flask import Response, current_app, json, request
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from engine import EngineError
from engine.storage import storage_unavailable

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://onestop.example/problems/"

# Engine error kinds and the HTTP status each maps to.
ENGINE_STATUS = {
    "not-found": 404,
    "conflict": 409,
    "forbidden": 403,
    "invalid-input": 422,
    "payload-too-large": 413,
    "too-many-requests": 429,
    "definition-invalid": 422,
    "procedure-failed": 422,
}

log = logging.getLogger("onestop.api")


def problem(
    status: int, kind: str, detail: str | None = None, *, title: str | None = None, headers: dict | None = None, **extra
) -> Response:
    body = {
        "type": TYPE_BASE + kind,
        "title": title or http.HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or http.HTTPStatus(status).description,
        "instance": request.path if request else None,
    }
    body.update({key: value for key, value in extra.items() if value is not None})
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_engine_error(error: EngineError) -> Response:
    status = ENGINE_STATUS.get(error.kind, 422)
    details = dict(error.details)
    errors = details.pop("errors", None)
    findings = details.pop("findings", None)
    headers = {"Retry-After": str(details["retry_after"])} if "retry_after" in details else None
    return problem(
        status, error.kind, error.message, errors=errors, findings=findings, context=details or None, headers=headers
    )


def from_http_exception(error: HTTPException) -> Response:
    """Werkzeug errors (unknown route, wrong method, bad JSON) and flask-smorest's abort()."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = _field_errors(data.get("errors") or data.get("messages"))
    kind = {
        400: "bad-request",
        401: "unauthorized",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        409: "conflict",
        413: "payload-too-large",
        415: "unsupported-media-type",
        422: "invalid-input",
        429: "too-many-requests",
    }.get(status, http.HTTPStatus(status).phrase.lower().replace(" ", "-"))
    detail = data.get("message") or error.description
    headers = dict(data.get("headers") or {})
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="onestop"')
    return problem(status, kind, detail, errors=errors, headers=headers)


def _field_errors(messages) -> list[dict] | None:
    """Flatten webargs' nested {location: {field: [messages]}} into [{field, message}]."""
    if not messages:
        return None
    flat: list[dict] = []

    def walk(value, path):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, path + [str(key)])
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            for message in value:
                flat.append({"field": ".".join(path) or "(body)", "message": message})
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(inner, path + [str(index)])
        else:
            flat.append({"field": ".".join(path) or "(body)", "message": str(value)})

    # Drop the location level (json, query, files, headers) from field paths.
    if isinstance(messages, dict) and set(messages) <= {"json", "query", "form", "files", "headers", "view_args"}:
        for location_errors in messages.values():
            walk(location_errors, [])
    else:
        walk(messages, [])
    return flat


def unexpected(error: Exception) -> Response:
    """Last resort: logged with its traceback, answered without internals. A database that
    cannot be used now (full disk, read-only, unreachable) is no bug: 503 with Retry-After."""
    if storage_unavailable(error):
        return storage_failure(error)
    log.exception("unhandled error", extra={"path": request.path})
    return problem(500, "internal-error", "The server could not complete the request; it has been logged.")


def storage_failure(error: Exception) -> Response:
    health = current_app.extensions["onestop_engine"].storage_health
    health.failed(error)  # reads fail here too; commands have reported theirs already
    log.warning("the database cannot be used now: %s", health.last_error, extra={"path": request.path, "status": 503})
    return problem(
        503,
        "storage-unavailable",
        "The office's database cannot store or read data right now (its disk may be full or it "
        "may be unreachable). Nothing of this request was saved; try again later.",
        headers={"Retry-After": str(health.retry_after())},
    )


def unstorable_value(error: DataError) -> Response:
    """The database refused a value the request carried (longer than its column, out of range):
    the input does not fit, so 422. Logged with its traceback, because validation should have
    refused it first: each occurrence is a check missing upstream."""
    log.warning("the database refused a value", exc_info=error, extra={"path": request.path})
    return problem(
        422, "invalid-input", "A value in the request does not fit where it is stored (too long or out of range)"
    )


def refuse_unstorable_path() -> Response | None:
    """No resource is named with a NUL character (PostgreSQL cannot even compare one): such a
    path parameter names nothing, so the answer is 404 before any query runs."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and "\x00" in value:
            return problem(404, "not-found", f"Nothing is named like that ({name} contains a NUL character)")
    return None


def register(app) -> None:
    app.before_request(refuse_unstorable_path)
    app.register_error_handler(EngineError, from_engine_error)
    app.register_error_handler(DataError, unstorable_value)
    app.register_error_handler(HTTPException, from_http_exception)
    app.register_error_handler(Exception, unexpected)
