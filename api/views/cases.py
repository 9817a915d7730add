"""Clerks and supervisors start and steer cases; auditors read their history."""

from __future__ import annotations

import re

from flask import request
from flask.views import MethodView

from engine import commands as cmd
from engine.storage import queries
from engine.storage import search as case_search
from workflows.notice import documents_notice

from ..auth import CASE_READERS, CASE_WORKERS, HISTORY_READERS, case_access, current_principal, engine
from ..privacy import masked, unmasked_read
from ..schemas import (
    CancelSchema,
    CaseChangedSchema,
    CaseDetailSchema,
    CaseSearchArgsSchema,
    CaseSearchPageSchema,
    EventSchema,
    MessageSchema,
    StartCaseSchema,
    StartedCaseSchema,
    StateArgsSchema,
    StateSchema,
    UnmaskArgsSchema,
    VerificationSchema,
)
from .common import (
    Blueprint,
    case_summary,
    evidence_dict,
    home_office,
    office,
    page_after,
    page_dict,
    page_window,
    person,
    secured,
    task_dict,
)

blp = Blueprint("cases", __name__, url_prefix="/api/cases", description="Cases: start, follow, steer, audit.")

IDEMPOTENCY_DOC = {
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "maxLength": 200},
            "description": "a retried request with the same key returns the first answer instead of a second case; "
            "the same key with a different request is refused (422)",
        }
    ]
}


def changed_dict(changed) -> dict:
    return {
        "case_id": changed.case_id,
        "status": changed.status,
        "last_event_seq": changed.last_event_seq,
        "open_tasks": [task.__dict__ for task in changed.open_tasks],
    }


def receipt(started, officer: dict | None = None, office_code: str | None = None) -> dict:
    """The receipt handed to the applicant: what was received, the standard time, the due date.

    "What was received" is what the case recorded when it started (its first event), so a retried
    request with the same Idempotency-Key gets the same receipt, whatever its own body says.
    """
    return {
        "case_number": started.number,
        "access_code": started.access_code,
        "procedure": started.procedure_key,
        "procedure_name": started.procedure_name,
        "channel": started.channel,
        "received_at": started.received_at,
        "received": masked(started.received),
        "standard_time": engine().catalogue.standard_time(started.procedure_key, channel=started.channel),
        "due_at": started.due_at,
        "officer": officer,
        "office": office(office_code),  # where to bring documents: the office working the case
    }


def officer_and_office_of(case_id: str) -> tuple[dict | None, str | None]:
    """The responsible officer of a case (by name and direct line) and the office working it."""
    with engine().read() as session:
        case = queries.get_case(session, case_id)
        return person(case.officer, case_search.staff(session, [case.officer])), case.office


@blp.route("")
class Cases(MethodView):
    @secured(blp, *CASE_WORKERS, errors=(400,))
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.arguments(StartCaseSchema)
    @blp.response(201, StartedCaseSchema)
    @blp.alt_response(200, schema=StartedCaseSchema, description="an earlier request with the same Idempotency-Key")
    def post(self, body):
        """Start a case at the counter, online or on a home visit; returns the receipt."""
        key = (request.headers.get("Idempotency-Key") or "").strip()[:200] or None
        principal = current_principal()
        started = engine().handle(
            cmd.StartCase(
                body["procedure"],
                body["data"],
                body["channel"],
                applicant=body.get("applicant"),
                actor=principal.username,
                idempotency_key=key,
                officer=principal.username,  # the clerk who receives it is responsible for it
                office=body.get("office") or home_office(principal),
                competent_office=body.get("competent_office"),
                offices=principal.offices,
            )
        )
        answer = {
            "case_id": started.case_id,
            "number": started.number,
            "access_code": started.access_code,
            "version": started.version,
            "existing": started.existing,
            "open_tasks": [task.__dict__ for task in started.open_tasks],
            "receipt": receipt(started, *officer_and_office_of(started.case_id)),
        }
        return answer, 200 if started.existing else 201

    @secured(blp, *CASE_READERS)
    @blp.arguments(CaseSearchArgsSchema, location="query")
    @blp.response(200, CaseSearchPageSchema)
    def get(self, args):
        """Find cases: by number, applicant name (its beginning), national ID (exact) or phone, or
        ``q`` for any of them; filtered; sorted; a page at a time (``next``, given as ``after``)."""
        principal = current_principal()
        search = search_of(args, principal.username)
        with engine().read() as session:
            page = case_search.search_cases(session, search, case_access())
            steps = case_search.open_steps(session, [case.id for case in page.rows])
            people = case_search.staff(
                session,
                [case.officer for case in page.rows] + [task.assignee for tasks in steps.values() for task in tasks],
            )
        return page_dict(
            page,
            [
                {
                    **case_summary(case, people=people),
                    "current_steps": [
                        {
                            "task_id": task.id,
                            "element_id": task.element_id,
                            "name": task.name,
                            "lane": task.lane,
                            "assignee": task.assignee,
                            "assignee_name": person(task.assignee, people)["name"] if task.assignee else None,
                        }
                        for task in steps[case.id]
                    ],
                    "awaiting_documents": case.sla_paused_at is not None,
                }
                for case in page.rows
            ],
            args,
        )


NATIONAL_ID = re.compile(r"^[A-Z][12890ABCD]\d{8}$")
CASE_NUMBER = re.compile(r"^\d{4}-\d{1,10}$")
PHONE = re.compile(r"^\+?[\d\s().-]{7,}$")


def search_of(args: dict, username: str) -> case_search.CaseSearch:
    """The search the query string asks for; ``q`` is read as whatever it looks like."""
    index = engine().case_index
    number, national_id, name, phone = (args.get(key) for key in ("number", "national_id", "name", "phone"))
    typed = (args.get("q") or "").strip()
    if typed:
        if NATIONAL_ID.match(typed.upper()):
            national_id = typed
        elif CASE_NUMBER.match(typed):
            number = typed
        elif PHONE.match(typed):
            phone = typed
        else:
            name = typed
    officer = args.get("officer")
    limit, offset = page_window(args)
    return case_search.CaseSearch(
        number=number.strip() if number else None,
        name_key=index.name_key(name),
        id_digest=index.id_digest(national_id),
        phone=index.phone_digits(phone),
        procedure=args.get("procedure"),
        status=args.get("status"),
        channel=args.get("channel"),
        officer=username if officer == "me" else officer,
        office=args.get("office"),
        overdue_at=engine().clock.now() if args.get("overdue") else None,
        received_from=args.get("received_from"),
        received_to=args.get("received_to"),
        sort=args["sort"],
        after=page_after(args),
        offset=offset,
        limit=limit,
    )


@blp.route("/<string:case_id>")
class CaseDetail(MethodView):
    @secured(blp, *CASE_READERS, errors=(404,))
    @blp.arguments(UnmaskArgsSchema, location="query")
    @blp.response(200, CaseDetailSchema)
    def get(self, args, case_id):
        """A case: status, officer, current steps, due date, SLA state, data, the one-time notice
        as it stands and the agencies' answers (national ID numbers masked unless ``unmask=true``)."""
        with engine().read() as session:
            case = queries.get_case(session, case_id, case_access())
            open_rows = [row for row in queries.case_tasks(session, case_id) if row.status in ("ready", "claimed")]
            people = case_search.staff(session, [case.officer, *(row.assignee for row in open_rows)])
            evidence = queries.service_evidence(session, case_id)
        unmasked = unmasked_read(args, case, "case")
        state = engine().case_state(case_id, access=case_access())
        detail = case_summary(case, mask=not unmasked, people=people)
        detail.update(
            close_reason=case.close_reason,
            next_timer_at=case.next_timer_at,
            data=masked(state["data"], unmasked),
            completed_steps=state["completed_steps"],
            awaited_messages=state["awaited_messages"],
            waiting_services=state["waiting_services"],
            current_elements=state["current_elements"],
            documents=documents_notice(state),
            evidence=[evidence_dict(event) for event in evidence],
            last_event_seq=case.last_event_seq,
            open_tasks=[task_dict(row, case.number, case.procedure_key, people) for row in open_rows],
        )
        return detail


@blp.route("/<string:case_id>/messages/<string:name>")
class CaseMessage(MethodView):
    @secured(blp, *CASE_WORKERS, errors=(400, 404, 409))
    @blp.arguments(MessageSchema)
    @blp.response(200, CaseChangedSchema)
    def post(self, body, case_id, name):
        """Deliver a BPMN message to a waiting case (e.g. the missing documents arrived)."""
        return changed_dict(
            engine().handle(
                cmd.DeliverMessage(
                    case_id, name, body.get("payload"), actor=current_principal().username, access=case_access()
                )
            )
        )


@blp.route("/<string:case_id>/cancel")
class CaseCancel(MethodView):
    @secured(blp, *CASE_WORKERS, errors=(400, 404, 409))
    @blp.arguments(CancelSchema)
    @blp.response(200, CaseChangedSchema)
    def post(self, body, case_id):
        """Cancel a case, with the reason."""
        return changed_dict(
            engine().handle(
                cmd.CancelCase(case_id, body["reason"], actor=current_principal().username, access=case_access())
            )
        )


@blp.route("/<string:case_id>/events")
class CaseEvents(MethodView):
    @secured(blp, *HISTORY_READERS, errors=(404,))
    @blp.arguments(UnmaskArgsSchema, location="query")
    @blp.response(200, EventSchema(many=True))
    def get(self, args, case_id):
        """The case's full history; national ID numbers masked unless ``unmask=true``."""
        with engine().read() as session:
            case = queries.get_case(session, case_id, case_access())
            events = queries.case_events(session, case_id)
        unmasked = unmasked_read(args, case, "events")
        return [
            {
                "seq": e.seq,
                "type": e.type,
                "occurred_at": e.occurred_at,
                "actor": e.actor,
                "element_id": e.element_id,
                "payload": masked(e.payload, unmasked),
                "hash": e.hash,
                "prev_hash": e.prev_hash,
            }
            for e in events
        ]


@blp.route("/<string:case_id>/state")
class CaseState(MethodView):
    @secured(blp, *HISTORY_READERS, errors=(404,))
    @blp.arguments(StateArgsSchema, location="query")
    @blp.response(200, StateSchema)
    def get(self, args, case_id):
        """The case as it was after event ``at`` (rebuilt by replay), or as it is now; national ID
        numbers masked unless ``unmask=true``."""
        with engine().read() as session:
            case = queries.get_case(session, case_id, case_access())
        unmasked = unmasked_read(args, case, "state")
        state = engine().case_state(case_id, args.get("at"))
        return {**state, "data": masked(state["data"], unmasked)}


@blp.route("/<string:case_id>/verify")
class CaseVerify(MethodView):
    @secured(blp, *HISTORY_READERS, errors=(404,))
    @blp.response(200, VerificationSchema)
    def get(self, case_id):
        """Check the hash chain and replay the case against its stored state."""
        return engine().verify_case(case_id, case_access()).as_dict()
