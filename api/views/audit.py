"""Auditors and supervisors: case timelines, recorded verification runs, signed chain anchors."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from config.audit import load_audit_settings
from engine.audit import integrity, timeline_of
from workflows.identifiers import mask_national_ids

from ..audit_schemas import (
    AnchorSchema,
    AnchorVerificationSchema,
    AnchorVerifyArgsSchema,
    RunListArgsSchema,
    RunPageSchema,
    TimelineSchema,
    VerificationRunSchema,
    VerifyRequestSchema,
)
from ..auth import AUDITOR, HISTORY_READERS, case_access, current_principal, engine
from .common import Blueprint, page_window, secured

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api",
    description="Audit: case timelines, verification runs and signed anchors of the event log.",
)


@blp.route("/cases/<string:case_id>/timeline")
class CaseTimeline(MethodView):
    @secured(blp, *HISTORY_READERS, errors=(404,))
    @blp.response(200, TimelineSchema)
    def get(self, case_id):
        """The case's history as an auditor reads it: each event with actor, time, the BPMN element
        it concerns and what it changed in the case data (rebuilt by replay). Personal numbers are
        masked unless the caller is an auditor."""
        unmasked = current_principal().has_any(AUDITOR)
        timeline = timeline_of(engine(), case_id, mask=None if unmasked else mask_national_ids, access=case_access())
        return {**timeline, "masked": not unmasked}


@blp.route("/audit/verifications")
class Verifications(MethodView):
    @secured(blp, *HISTORY_READERS, errors=(400, 404, 422))
    @blp.arguments(VerifyRequestSchema)
    @blp.response(201, VerificationRunSchema)
    def post(self, body):
        """Verify one case (``case_id``) or every case: hash chains and replay. The run is recorded
        with who ran it, when, and each failing case's first divergent event. Every case: auditors
        and admins only (a supervisor verifies the cases they reach, one at a time)."""
        access = case_access()
        if body.get("case_id") is None and not access.all_cases:
            abort(403, message="Verifying every case needs one of the roles: auditor, admin")
        return integrity.verify_and_record(
            engine(), actor=current_principal().username, case_id=body.get("case_id"), access=access
        )

    @secured(blp, *HISTORY_READERS, errors=(422,))
    @blp.arguments(RunListArgsSchema, location="query")
    @blp.response(200, RunPageSchema)
    def get(self, args):
        """Recorded verification runs, newest first."""
        limit, offset = page_window(args)
        with engine().read() as session:
            runs, total = integrity.list_runs(session, case_id=args.get("case_id"), limit=limit, offset=offset)
        return {"items": runs, "total": total, "page": args["page"], "per_page": args["per_page"]}


@blp.route("/audit/anchors")
class Anchors(MethodView):
    @secured(blp, *HISTORY_READERS)
    @blp.response(200, AnchorSchema(many=True))
    def get(self):
        """The latest daily anchors of the chain heads (made by ``flask audit anchor``)."""
        with engine().read() as session:
            return integrity.list_anchors(session)


@blp.route("/audit/anchors/verify")
class AnchorCheck(MethodView):
    @secured(blp, *HISTORY_READERS, errors=(409, 422))
    @blp.arguments(AnchorVerifyArgsSchema, location="query")
    @blp.response(200, AnchorVerificationSchema)
    def get(self, args):
        """Check every anchor's signature and that each anchored event is still in the log with the
        hash it had (a rewrite of the whole table is caught here)."""
        key = load_audit_settings().anchor_key
        if not key:  # the server is not set up for it: nothing the caller can change in the request
            abort(409, message="No anchor key is configured on this server (ONESTOP_ANCHOR_KEY)")
        return integrity.verify_anchors(engine(), key=key, since=args.get("since"))
