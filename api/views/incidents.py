"""Incidents: cases whose automatic work failed and is held (engine/storage/incidents.py), for
supervisors and admins to look at, retry or cancel."""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from engine import NotFound
from engine import commands as cmd
from engine.storage import Case, incidents

from ..auth import ADMIN, SUPERVISOR, current_principal, engine, read_connection
from ..incident_schemas import (
    IncidentArgsSchema,
    IncidentOutcomeSchema,
    IncidentPageSchema,
    IncidentSchema,
    RetryIncidentSchema,
)
from ..schemas import CancelSchema
from .cases import changed_dict
from .common import Blueprint, page_window, secured

blp = Blueprint(
    "incidents",
    __name__,
    url_prefix="/api/incidents",
    description="Incidents: cases held because their automatic work failed; retry or cancel them.",
)
INCIDENT_HANDLERS = (SUPERVISOR, ADMIN)


def incident(incident_id: int) -> dict:
    """The incident, if its case is one of the caller's offices' (else, as if it did not exist)."""
    reach = current_principal().offices
    with read_connection() as connection:
        row = incidents.described(connection, incident_id)
        office = connection.scalar(select(Case.office).where(Case.id == row["case_id"])) if row else None
    if row is None or (reach is not None and office not in reach):
        raise NotFound(f"Incident {incident_id} does not exist", incident_id=incident_id)
    return row


@blp.route("")
class Incidents(MethodView):
    @secured(blp, *INCIDENT_HANDLERS)
    @blp.arguments(IncidentArgsSchema, location="query")
    @blp.response(200, IncidentPageSchema)
    def get(self, args):
        """Incidents, the latest failure first; filter by status, procedure, element, kind or case."""
        limit, offset = page_window(args)
        with read_connection() as connection:
            rows, total = incidents.page(
                connection,
                status=args.get("status"),
                procedure=args.get("procedure"),
                element=args.get("element"),
                kind=args.get("kind"),
                case_id=args.get("case_id"),
                offices=current_principal().offices,  # another office's incidents are not its staff's
                limit=limit,
                offset=offset,
            )
        return {"items": rows, "total": total, "page": args["page"], "per_page": args["per_page"]}


@blp.route("/<int(max=2147483647):incident_id>")
class IncidentDetail(MethodView):
    @secured(blp, *INCIDENT_HANDLERS, errors=(404,))
    @blp.response(200, IncidentSchema)
    def get(self, incident_id):
        """One incident: what failed, where, how often, and how it was resolved."""
        return incident(incident_id)


@blp.route("/<int(max=2147483647):incident_id>/retry")
class IncidentRetry(MethodView):
    @secured(blp, *INCIDENT_HANDLERS, errors=(400, 404, 409, 422))
    @blp.arguments(RetryIncidentSchema)
    @blp.response(200, IncidentOutcomeSchema)
    def post(self, body, incident_id):
        """Do the held work again: after a fix of the diagram, a move of the case to a new
        version, or with ``data`` (variables set in the case's open steps first, recorded with
        the reason). If it fails again the answer is 422 naming the element, and the incident
        stays open with one more attempt."""
        incident(incident_id)  # one of the caller's offices'
        changed = engine().handle(
            cmd.RetryIncident(incident_id, current_principal().username, body.get("reason"), body.get("data"))
        )
        return {"incident": incident(incident_id), "case": changed_dict(changed) if changed is not None else None}


@blp.route("/<int(max=2147483647):incident_id>/cancel")
class IncidentCancel(MethodView):
    @secured(blp, *INCIDENT_HANDLERS, errors=(400, 404, 409))
    @blp.arguments(CancelSchema)
    @blp.response(200, IncidentOutcomeSchema)
    def post(self, body, incident_id):
        """Give up: the case is cancelled with the reason, and its incidents resolved."""
        incident(incident_id)  # one of the caller's offices'
        changed = engine().handle(cmd.CancelIncident(incident_id, current_principal().username, body["reason"]))
        return {"incident": incident(incident_id), "case": changed_dict(changed)}
