"""Shaping helpers shared by the views (rows -> dicts the schemas dump) and the decorators that
guard and document them."""

from __future__ import annotations

import base64
import http
import json
import re
from datetime import datetime

import flask_smorest
from flask import current_app
from webargs.flaskparser import FlaskParser, abort

from engine.storage import offices, queries

from ..auth import BEARER_AUTH, engine, requires
from ..privacy import masked

# Structural tokens of a JSON text: strings (skipped whole, escapes included) and brackets.
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:,]')


def too_deep_at(text: str, max_depth: int) -> str | None:
    """Where (``a/b/0/c``) the JSON ``text`` nests deeper than ``max_depth``, or None; read
    without building the value, for a body too deep for Python's parser to build at all."""
    path: list[list] = []  # one [bracket, key or index] per open object or array
    last_string = ""
    for token in _JSON_TOKENS.finditer(text):
        mark = token.group()
        if mark[0] == '"':
            last_string = mark[1:-1]
        elif mark in "[{":
            if len(path) >= max_depth:
                return "/".join(str(step[1]) for step in path)
            path.append([mark, 0 if mark == "[" else ""])
        elif mark in "]}":
            if path:
                path.pop()
        elif mark == ":" and path:
            path[-1][1] = last_string
        elif mark == "," and path and path[-1][0] == "[":
            path[-1][1] += 1
    return None


class BodyParser(FlaskParser):
    """webargs' parser, with JSON bodies that parse to nothing usable answered as 4xx too: larger
    than a JSON request needs (413), nested deeper than the data limits allow (422 naming the
    field: Python's parser cannot even build such a value), or an integer with more digits than
    int() accepts (400)."""

    def _raw_load_json(self, req):
        limits = settings()
        if (req.content_length or 0) > json_body_limit(limits):
            abort(413, messages={"json": [f"A JSON body is at most {json_body_limit(limits)} bytes."]})
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise  # webargs answers these itself (400 "Invalid JSON body.")
        except RecursionError:
            # The body's own object wraps the data: one level more than the data may have.
            path = too_deep_at(req.get_data(as_text=True), limits.data_max_depth + 1) or "(body)"
            message = f"is nested deeper than {limits.data_max_depth} levels"
            abort(422, messages={"json": {path: [message]}})
        except ValueError:
            abort(400, messages={"json": ["Invalid JSON body: a number is too long."]})


def json_body_limit(limits) -> int:
    """The largest JSON body worth reading: the data limit, with room for the rest of the body."""
    return 4 * limits.data_max_bytes + 64 * 1024


class Blueprint(flask_smorest.Blueprint):
    """The API's blueprints: flask-smorest's, with the body parser above."""

    ARGUMENTS_PARSER = BodyParser()


def problems(blp, *statuses: int):
    """Document the problem answers an operation gives, by reference to the shared responses
    (application/problem+json, ProblemSchema)."""

    def decorate(view):
        for status in statuses:
            view = blp.alt_response(status, http.HTTPStatus(status).name)(view)
        return view

    return decorate


def secured(blp, *roles: str, errors: tuple[int, ...] = ()):
    """Only callers with a bearer token and one of ``roles``; documents the bearer security and
    the 401, 403 and ``errors`` answers.

    Put it above the other decorators: the caller is checked before the request is parsed, so an
    anonymous or unauthorised caller learns nothing about what the input should look like.
    """

    def decorate(view):
        view = problems(blp, 401, 403, *errors)(view)
        view = blp.doc(security=BEARER_AUTH)(view)
        return requires(*roles)(view)

    return decorate


def settings():
    return current_app.config["ONESTOP_SETTINGS"]


def zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo(settings().timezone)


def page_window(args) -> tuple[int, int]:
    """(limit, offset) of the requested page; a page given by ``after`` starts right after it."""
    return args["per_page"], 0 if args.get("after") else (args["page"] - 1) * args["per_page"]


def page_after(args) -> tuple | None:
    """The position a page given by ``after`` starts after (a list's sort values of its last row)."""
    cursor = args.get("after")
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4)))
        return tuple(
            datetime.fromisoformat(value[1:]) if isinstance(value, str) and value[:1] == "@" else value
            for value in values
        )
    except (ValueError, TypeError, UnicodeError):
        abort(422, messages={"query": {"after": ["Not a page cursor this API gave."]}})


def page_dict(page, items: list, args) -> dict:
    """The answer of a list: its items, the count, and the cursor of the next page."""
    return {
        "items": items,
        "total": page.total,
        "total_exact": page.total_exact,
        "page": args["page"],
        "per_page": args["per_page"],
        "next": _cursor(page.next_after) if page.next_after else None,
    }


def _cursor(position: tuple) -> str:
    values = [f"@{value.isoformat()}" if isinstance(value, datetime) else value for value in position]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode("ascii").rstrip("=")


def case_summary(case, version: int | None = None, *, mask: bool = True, people: dict | None = None) -> dict:
    """A case as lists and headers show it; ``people``: users by username (search.staff), to
    name its officer."""
    now = engine().clock.now()
    applicant = case.applicant or ({"name": case.applicant_name} if case.applicant_name else None)
    return {
        "id": case.id,
        "number": case.number,
        "procedure": case.procedure_key,
        "version": version if version is not None else engine().definition(case.definition_id).version,
        "status": case.status,
        "channel": case.channel,
        "applicant": masked(applicant, unmasked=not mask),
        "received_at": case.received_at,
        "due_at": case.due_at,
        "closed_at": case.closed_at,
        "served_at": case.served_at,
        "close_kind": case.close_kind,
        "sla_state": queries.sla_state(case, now, zone()),
        "officer": person(case.officer, people or {}),
        "office": case.office,
        "received_office": case.received_office,
    }


def home_office(principal) -> str | None:
    """The office a caller receives cases at by default: theirs, if they work for exactly one."""
    return next(iter(principal.offices)) if principal.offices is not None and len(principal.offices) == 1 else None


def person(username: str | None, people: dict) -> dict | None:
    """A member of staff by name (and direct line), as colleagues and applicants read them."""
    if not username:
        return None
    user = people.get(username)
    return {
        "username": username,
        "name": (user.display_name if user is not None else None) or username,
        "phone": user.phone if user is not None else None,
    }


def office(code: str | None = None) -> dict:
    """The contact of the office working a case, in both languages: the install's own
    (config.OfficeContact) for the default office, else the office's record (its name is a proper
    name, the same in both)."""
    if code and code != offices.DEFAULT_OFFICE:
        with engine().read() as session:
            record = offices.get_office(session.connection(), code)
        return {
            "name": {"zh": record["name"], "en": record["name"]},
            "address": {"zh": record["address"] or "", "en": record["address"] or ""},
            "hours": {language: opening_hours(record["opening_hours"], language) for language in ("zh", "en")},
            "phone": record["phone"] or "",
        }
    contact = settings().office
    return {
        "name": {"zh": contact.name_zh, "en": contact.name_en},
        "address": {"zh": contact.address_zh, "en": contact.address_en},
        "hours": {"zh": contact.hours_zh, "en": contact.hours_en},
        "phone": contact.phone,
    }


DAY_NAMES = {
    "zh": dict(zip(offices.DAYS, ("週一", "週二", "週三", "週四", "週五", "週六", "週日"))),
    "en": dict(zip(offices.DAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))),
}


def opening_hours(hours: dict | None, language: str) -> str:
    """{"mon": ["08:00", "17:00"], ...} in words: "週一 08:00–17:00、週二 ..." (days in order)."""
    spans = [
        f"{DAY_NAMES[language][day]} {hours[day][0]}–{hours[day][1]}" for day in offices.DAYS if day in (hours or {})
    ]
    return ("、" if language == "zh" else ", ").join(spans)


def evidence_dict(event) -> dict:
    """An agency's answer (or failure) as a clerk sees it: national ID numbers masked."""
    payload = event.payload
    return {
        "seq": event.seq,
        "element_id": event.element_id,
        "operation": payload.get("operation"),
        "agency": payload.get("agency_name") or payload.get("agency"),
        "agency_key": payload.get("agency"),
        "params": masked(payload.get("params") or {}),
        "result": masked(payload.get("result")),
        "error": masked(payload.get("error")),
        "attempts": len(payload.get("attempts") or []) or None,
        "requested_at": payload.get("requested_at"),
        "answered_at": payload.get("answered_at"),
        "recorded_at": event.occurred_at,
    }


def task_dict(task, case_number: str, procedure: str, people: dict | None = None) -> dict:
    """A task as lists show it; ``people``: users by username, to name its assignee."""
    now = engine().clock.now()
    assignee = person(task.assignee, people) if people is not None else None
    return {
        "id": task.id,
        "case_id": task.case_id,
        "case_number": case_number,
        "procedure": procedure,
        "element_id": task.element_id,
        "name": task.name,
        "element_type": task.element_type,
        "lane": task.lane,
        "form_key": task.form_key,
        "status": task.status,
        "assignee": task.assignee,
        "assignee_name": assignee["name"] if assignee else None,
        "created_at": task.created_at,
        "due_at": task.due_at,
        "overdue": task.due_at is not None and task.due_at < now and task.status in ("ready", "claimed"),
    }
