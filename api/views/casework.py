"""Case work for clerks and supervisors beside the tasks: notes, the case's activity, the
supplement after a one-time notice, withdrawal at the applicant's request, the responsible
officer, and the colleagues one may hand work to."""

from __future__ import annotations

from flask.views import MethodView

from engine import commands as cmd
from engine import events
from engine.audit import element_index
from engine.storage import queries
from engine.storage import search as case_search
from workflows.identifiers import mask_national_ids

from ..auth import CASE_READERS, CASE_WORKERS, SUPERVISOR, case_access, current_principal, engine
from ..casework_schemas import (
    ActivitySchema,
    ColleagueSchema,
    NoteAddedSchema,
    NoteSchema,
    OfficerChangeSchema,
    ReasonSchema,
    StaffArgsSchema,
    SupplementSchema,
)
from ..schemas import CaseChangedSchema
from .cases import changed_dict
from .common import Blueprint, secured

blp = Blueprint(
    "casework",
    __name__,
    url_prefix="/api",
    description="Case work: notes, activity, supplements, withdrawal, the responsible officer, colleagues.",
)


@blp.route("/cases/<string:case_id>/notes")
class CaseNotes(MethodView):
    @secured(blp, *CASE_WORKERS, errors=(400, 404))
    @blp.arguments(NoteSchema)
    @blp.response(201, NoteAddedSchema)
    def post(self, body, case_id):
        """Write a note on the case (recorded in its history, open or closed)."""
        changed = engine().handle(
            cmd.AddNote(case_id, body["text"], current_principal().username, access=case_access())
        )
        return {"case_id": case_id, "seq": changed.last_event_seq}


@blp.route("/cases/<string:case_id>/supplements")
class CaseSupplements(MethodView):
    @secured(blp, *CASE_WORKERS, errors=(400, 404, 409))
    @blp.arguments(SupplementSchema)
    @blp.response(200, CaseChangedSchema)
    def post(self, body, case_id):
        """Record the documents the applicant brought after the one-time notice (each must be
        among those missing); the case goes on, and counts the round."""
        return changed_dict(
            engine().handle(
                cmd.RecordSupplement(
                    case_id,
                    tuple(body["documents"]),
                    actor=current_principal().username,
                    channel=body["channel"],
                    note=body.get("note"),
                    access=case_access(),
                )
            )
        )


@blp.route("/cases/<string:case_id>/withdraw")
class CaseWithdraw(MethodView):
    @secured(blp, *CASE_WORKERS, errors=(400, 404, 409))
    @blp.arguments(ReasonSchema)
    @blp.response(200, CaseChangedSchema)
    def post(self, body, case_id):
        """Withdraw the application at the applicant's request (撤回), with what they said."""
        return changed_dict(
            engine().handle(
                cmd.CancelCase(
                    case_id, body["reason"], actor=current_principal().username, withdrawn=True, access=case_access()
                )
            )
        )


@blp.route("/cases/<string:case_id>/officer")
class CaseOfficer(MethodView):
    @secured(blp, SUPERVISOR, errors=(400, 404, 409))
    @blp.arguments(OfficerChangeSchema)
    @blp.response(200, CaseChangedSchema)
    def put(self, body, case_id):
        """Make another clerk responsible for the case (承辦人), with the reason; recorded."""
        return changed_dict(
            engine().handle(
                cmd.AssignOfficer(
                    case_id, body["officer"], body["reason"], actor=current_principal().username, access=case_access()
                )
            )
        )


@blp.route("/cases/<string:case_id>/activity")
class CaseActivity(MethodView):
    @secured(blp, *CASE_READERS, errors=(404,))
    @blp.response(200, ActivitySchema(many=True))
    def get(self, case_id):
        """The case's history as clerks read it: who did what and when, notes, supplements,
        officer changes, agency answers; personal numbers masked, form data left out."""
        with engine().read() as session:
            case = queries.get_case(session, case_id, case_access())
            history = queries.case_events(session, case_id)
            people = case_search.staff(session, [name for event in history for name in _people_of(event)])
        elements = element_index(engine().definition(case.definition_id))

        def name_of(username):
            user = people.get(username)
            return (user.display_name if user is not None else None) or username

        return [
            {
                "seq": event.seq,
                "type": event.type,
                "occurred_at": event.occurred_at,
                "actor": event.actor,
                "actor_name": name_of(event.actor) if event.actor else None,
                "element_id": event.element_id,
                "element_name": elements[event.element_id].name if event.element_id in elements else None,
                "details": mask_national_ids(_details(event, name_of)),
            }
            for event in history
        ]


def _people_of(event) -> list[str]:
    payload = event.payload or {}
    return [
        name
        for name in (event.actor, payload.get("officer"), payload.get("previous_officer"), payload.get("assignee"))
        if isinstance(name, str)
    ]


def _details(event, name_of) -> dict:
    """What clerks read of an event; nothing of the form data (the case data shows it)."""
    payload = event.payload or {}
    if event.type == events.NOTE_ADDED:
        return {"text": payload.get("text")}
    if event.type == events.OFFICER_ASSIGNED:
        previous = payload.get("previous_officer")
        return {
            "officer": payload.get("officer"),
            "officer_name": name_of(payload.get("officer")),
            "previous_officer": previous,
            "previous_officer_name": name_of(previous) if previous else None,
            "reason": payload.get("reason"),
        }
    if event.type in (events.TASK_ASSIGNED, events.TASK_CLAIMED, events.TASK_UNCLAIMED):
        assignee = payload.get("assignee")
        return {
            "task_id": payload.get("task_id"),
            "assignee": assignee,
            "assignee_name": name_of(assignee) if assignee else None,
        }
    if event.type == events.TASK_COMPLETED:
        return {"task_id": payload.get("task_id")}
    if event.type == events.MESSAGE_DELIVERED:
        message = payload.get("payload") if isinstance(payload.get("payload"), dict) else {}
        return {
            "name": payload.get("name"),
            **{key: message[key] for key in ("documents", "channel", "note") if key in message},
        }
    if event.type == events.CASE_CANCELLED:
        return {"reason": payload.get("reason"), "withdrawn": bool(payload.get("withdrawn"))}
    if event.type == events.CASE_STARTED:
        return {"channel": payload.get("channel"), "version": payload.get("version")}
    if event.type == events.SERVICE_RESULT_RECORDED:
        return {
            "agency": payload.get("agency"),
            "operation": payload.get("operation"),
            "failed": "error" in payload,
        }
    if event.type == events.DOCUMENT_ATTACHED:
        return {key: payload.get(key) for key in ("kind", "file_name", "occasion")}
    if event.type == events.RATING_RECORDED:
        return {"score": payload.get("score")}
    return {key: payload[key] for key in ("due_at", "previous_due_at", "overdue_at") if key in payload}


@blp.route("/staff")
class Staff(MethodView):
    @secured(blp, *CASE_WORKERS)
    @blp.arguments(StaffArgsSchema, location="query")
    @blp.response(200, ColleagueSchema(many=True))
    def get(self, args):
        """Active clerks and supervisors (of one lane, with ``group``): whom a task can be handed
        to, or a case given."""
        with engine().read() as session:
            users = case_search.colleagues(session, args.get("group"), CASE_WORKERS)
        return [
            {"username": user.username, "name": user.display_name or user.username, "groups": sorted(user.groups or ())}
            for user in users
        ]
