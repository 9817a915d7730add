"""Clerks and supervisors start and steer cases; auditors read their history."""

from __future__ import annotations

from flask import request
from flask.views import MethodView

from engine import commands as cmd
from engine.storage import queries
from workflows.identifiers import mask_national_ids

from ..auth import AUDITOR, CASE_READERS, CASE_WORKERS, HISTORY_READERS, case_access, current_principal, engine
from ..schemas import (
    CancelSchema,
    CaseChangedSchema,
    CaseDetailSchema,
    CaseListArgsSchema,
    CasePageSchema,
    EventSchema,
    MessageSchema,
    StartCaseSchema,
    StartedCaseSchema,
    StateArgsSchema,
    StateSchema,
    VerificationSchema,
)
from .common import Blueprint, case_summary, page_after, page_dict, page_window, secured, task_dict

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


def receipt(started) -> dict:
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
        "received": mask_national_ids(started.received),
        "standard_time": engine().catalogue.standard_time(started.procedure_key, channel=started.channel),
        "due_at": started.due_at,
    }


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
        started = engine().handle(
            cmd.StartCase(
                body["procedure"],
                body["data"],
                body["channel"],
                applicant=body.get("applicant"),
                actor=current_principal().username,
                idempotency_key=key,
            )
        )
        answer = {
            "case_id": started.case_id,
            "number": started.number,
            "access_code": started.access_code,
            "version": started.version,
            "existing": started.existing,
            "open_tasks": [task.__dict__ for task in started.open_tasks],
            "receipt": receipt(started),
        }
        return answer, 200 if started.existing else 201

    @secured(blp, *CASE_READERS)
    @blp.arguments(CaseListArgsSchema, location="query")
    @blp.response(200, CasePageSchema)
    def get(self, args):
        """Cases, newest first; filter by procedure, status, overdue and receipt time."""
        limit, offset = page_window(args)
        case_filter = queries.CaseFilter(
            procedure=args.get("procedure"),
            status=args.get("status"),
            overdue_at=engine().clock.now() if args.get("overdue") else None,
            received_from=args.get("received_from"),
            received_to=args.get("received_to"),
            limit=limit,
            offset=offset,
            access=case_access(),
            after=page_after(args),
        )
        with engine().read() as session:
            page = queries.list_cases(session, case_filter)
        return page_dict(page, [case_summary(row) for row in page.rows], args)


@blp.route("/<string:case_id>")
class CaseDetail(MethodView):
    @secured(blp, *CASE_READERS, errors=(404,))
    @blp.response(200, CaseDetailSchema)
    def get(self, case_id):
        """A case: status, current steps, due date, SLA state and data."""
        with engine().read() as session:
            case = queries.get_case(session, case_id, case_access())
            open_rows = [row for row in queries.case_tasks(session, case_id) if row.status in ("ready", "claimed")]
        state = engine().case_state(case_id)
        detail = case_summary(case, mask=False)
        detail.update(
            close_reason=case.close_reason,
            next_timer_at=case.next_timer_at,
            data=state["data"],
            completed_steps=state["completed_steps"],
            last_event_seq=case.last_event_seq,
            open_tasks=[task_dict(row, case.number, case.procedure_key) for row in open_rows],
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
    @blp.response(200, EventSchema(many=True))
    def get(self, case_id):
        """The case's full history; personal numbers are masked unless the caller is an auditor."""
        with engine().read() as session:
            queries.get_case(session, case_id, case_access())
            events = queries.case_events(session, case_id)
        unmasked = current_principal().has_any(AUDITOR)
        return [
            {
                "seq": e.seq,
                "type": e.type,
                "occurred_at": e.occurred_at,
                "actor": e.actor,
                "element_id": e.element_id,
                "payload": e.payload if unmasked else mask_national_ids(e.payload),
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
        """The case as it was after event ``at`` (rebuilt by replay), or as it is now."""
        return engine().case_state(case_id, args.get("at"), case_access())


@blp.route("/<string:case_id>/verify")
class CaseVerify(MethodView):
    @secured(blp, *HISTORY_READERS, errors=(404,))
    @blp.response(200, VerificationSchema)
    def get(self, case_id):
        """Check the hash chain and replay the case against its stored state."""
        return engine().verify_case(case_id, case_access()).as_dict()
