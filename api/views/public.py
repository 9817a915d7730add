"""Applicants, without an account: their case's status by number + access code, and a rating."""

from __future__ import annotations

from datetime import timedelta

from flask import request
from flask.views import MethodView
from flask_smorest import abort

from engine import DOCUMENTS_MESSAGE, RATING_MESSAGE, NotFound, access_code_matches
from engine import commands as cmd
from engine.storage import queries
from engine.storage import search as case_search
from workflows.notice import supplement_status

from ..auth import engine
from ..schemas import PublicCaseSchema, PublicLookupArgsSchema, RatingResultSchema, RatingSchema
from .common import Blueprint, office, person, problems, zone
from .documents import document_dict

# What applicants see of the files the office received (no hash, no clerk's name).
PUBLIC_DOCUMENT_FIELDS = ("kind", "file_name", "size", "occasion", "attached_at")

blp = Blueprint(
    "public",
    __name__,
    url_prefix="/api/public",
    description="For applicants: case status by number and access code, and the rating.",
)

FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES = 5  # wrong codes for one case number, from one caller
MAX_FAILURES_ANY_CASE = 30  # wrong codes from one caller across case numbers
NOT_FOUND = "No case with this number and access code"


def case_for_applicant(number: str, code: str):
    """The case if the code matches; wrong codes are counted per caller and slowed down
    (429). Per caller: a stranger's wrong codes must not lock the applicant out of their case.
    Behind reverse proxies, ProxyFix (ONESTOP_TRUSTED_PROXIES, api/security.py) makes remote_addr
    the real caller."""
    now = engine().clock.now()
    client = (request.remote_addr or "")[:64]
    with engine().read() as session:
        this_case, any_case = queries.recent_lookup_failures(session, client, now - FAILURE_WINDOW, number)
        if this_case >= MAX_FAILURES or any_case >= MAX_FAILURES_ANY_CASE:
            abort(
                429,
                message="Too many wrong access codes; try again in 15 minutes",
                headers={"Retry-After": str(int(FAILURE_WINDOW.total_seconds()))},
            )
        try:
            case = queries.get_case_by_number(session, number)
        except NotFound:
            case = None
    if case is None or not access_code_matches(case, code):
        with engine().write() as session:
            queries.record_lookup_failure(session, number, client, now, FAILURE_WINDOW)
        abort(404, message=NOT_FOUND)
    return case


@blp.route("/cases/<string(maxlength=20):number>")
class PublicCase(MethodView):
    @problems(blp, 404, 429)
    @blp.arguments(PublicLookupArgsSchema, location="query")
    @blp.response(200, PublicCaseSchema)
    def get(self, args, number):
        """Status in plain words (the stage), steps done and under way, what documents are still
        missing and by when, the responsible officer and how to reach the office."""
        case = case_for_applicant(number, args["code"])
        state = engine().case_state(case.id)
        with engine().read() as session:
            rated = queries.rating_for(session, case.id) is not None
            documents = queries.case_documents(session, case.id)
            officer = person(case.officer, case_search.staff(session, [case.officer]))
        sla = queries.sla_state(case, engine().clock.now(), zone())
        return {
            "number": case.number,
            "procedure": case.procedure_key,
            "procedure_name": engine().definition(case.definition_id).spec.description,
            "status": case.status,
            "received_at": case.received_at,
            "due_at": case.due_at,
            "served_at": case.served_at,
            "sla_state": sla,
            "delayed": sla in (queries.OVERDUE, queries.SERVED_LATE, queries.CLOSED_LATE),
            "steps_done": [
                step["name"] or step["element_id"]
                for step in state["completed_steps"]
                # What people and agencies did; the diagram's own bookkeeping (scripts) stays inside.
                if step["element_type"] in ("userTask", "manualTask", "serviceTask")
            ],
            "steps_open": [
                step["name"] or step["element_id"] for step in [*state["ready_tasks"], *state["waiting_services"]]
            ],
            "stage": stage_of(case, state),
            # The applicant reads the officer's name and number; the username stays inside.
            "officer": {"name": officer["name"], "phone": officer["phone"]} if officer else None,
            "office": office(case.office),
            "close_reason": case.close_reason if case.status == "cancelled" else None,
            "rated": rated,
            # Rated once, after the service: at the rating step, or after the case completed.
            "can_rate": not rated and (case.status == "completed" or RATING_MESSAGE in state["awaited_messages"]),
            # What the one-time notice asks for, to upload from the status page.
            **supplement_status(state),
            "received_documents": [document_dict(row, PUBLIC_DOCUMENT_FIELDS) for row in documents],
        }


def stage_of(case, state: dict) -> str:
    """Where the case stands, as the status page says it in plain words."""
    if case.status == "completed":
        return "completed"
    if case.status == "cancelled":
        return case.close_kind or "cancelled"
    if DOCUMENTS_MESSAGE in state["awaited_messages"]:
        return "awaiting_documents"
    if RATING_MESSAGE in state["awaited_messages"]:
        return "awaiting_rating"
    if state["waiting_services"] and not state["ready_tasks"]:
        return "agency_check"
    return "in_progress"


@blp.route("/cases/<string(maxlength=20):number>/rating")
class PublicRating(MethodView):
    @problems(blp, 400, 404, 409, 429)
    @blp.arguments(RatingSchema)
    @blp.response(201, RatingResultSchema)
    def post(self, body, number):
        """Rate the service (1-5) once per case, when it is done (409 while it is still being processed)."""
        case = case_for_applicant(number, body["code"])
        engine().handle(cmd.RecordRating(case.id, body["score"], body.get("comment")))
        return {"number": case.number, "score": body["score"], "recorded": True}
