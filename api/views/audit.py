"""Auditors and supervisors: case timelines, recorded verification runs, signed chain anchors."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from config.audit import load_audit_settings
from engine.audit import anchoring, integrity, privacy, proofs, public_keys_document, timeline_of
from engine.storage import queries
from workflows.identifiers import mask_national_ids

from .. import signing as keys_from_settings
from ..audit_schemas import (
    AnchorSchema,
    AnchorVerificationSchema,
    AnchorVerifyArgsSchema,
    CaseProofSchema,
    ConsistencyArgsSchema,
    ConsistencySchema,
    PublicKeysSchema,
    PublicProofArgsSchema,
    ReadListArgsSchema,
    ReadPageSchema,
    RunListArgsSchema,
    RunPageSchema,
    TimelineSchema,
    VerificationRunSchema,
    VerifyRequestSchema,
    WitnessedFileSchema,
)
from ..auth import ADMIN, AUDITOR, HISTORY_READERS, case_access, current_principal, engine
from ..privacy import record_full_read, unmasked_read
from ..schemas import UnmaskArgsSchema
from .common import Blueprint, page_window, problems, secured, zone
from .public import case_for_applicant

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api",
    description="Audit: case timelines, verification runs, signed anchors of the event log, public keys and proofs.",
)


@blp.route("/cases/<string:case_id>/timeline")
class CaseTimeline(MethodView):
    @secured(blp, *HISTORY_READERS, errors=(404,))
    @blp.arguments(UnmaskArgsSchema, location="query")
    @blp.response(200, TimelineSchema)
    def get(self, args, case_id):
        """The case's history as an auditor reads it: each event with actor, time, the BPMN element
        it concerns and what it changed in the case data (rebuilt by replay). National ID numbers
        are masked unless ``unmask=true``."""
        with engine().read() as session:
            case = queries.get_case(session, case_id, case_access())
        unmasked = unmasked_read(args, case, "timeline")
        timeline = timeline_of(engine(), case_id, mask=None if unmasked else mask_national_ids)
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
        if body.get("case_id") is None and not access.every_case:
            abort(403, message="Verifying every case needs one of the roles auditor, admin, for every office")
        return integrity.verify_and_record(
            engine(), actor=current_principal().username, case_id=body.get("case_id"), access=access
        )

    @secured(blp, *HISTORY_READERS, errors=(422,))
    @blp.arguments(RunListArgsSchema, location="query")
    @blp.response(200, RunPageSchema)
    def get(self, args):
        """Recorded verification runs, newest first (a supervisor's: those of the cases they reach)."""
        limit, offset = page_window(args)
        with engine().read() as session:
            runs, total = integrity.list_runs(
                session, case_id=args.get("case_id"), limit=limit, offset=offset, access=case_access()
            )
        return {"items": runs, "total": total, "page": args["page"], "per_page": args["per_page"]}


@blp.route("/audit/personal-data-reads")
class PersonalDataReads(MethodView):
    @secured(blp, AUDITOR, ADMIN, errors=(422,))
    @blp.arguments(ReadListArgsSchema, location="query")
    @blp.response(200, ReadPageSchema)
    def get(self, args):
        """Who read whose national ID numbers in full, when, through which view; newest first."""
        limit, offset = page_window(args)
        read_filter = privacy.ReadFilter(
            reader=args.get("reader"),
            case_id=args.get("case_id"),
            case_number=args.get("case_number"),
            since=args.get("since"),
            until=args.get("until"),
            limit=limit,
            offset=offset,
        )
        with engine().read() as session:
            items, total = privacy.list_reads(session, read_filter)
        return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"]}


@blp.route("/audit/anchors")
class Anchors(MethodView):
    @secured(blp, *HISTORY_READERS)
    @blp.response(200, AnchorSchema(many=True))
    def get(self):
        """The latest daily anchors: each day's Merkle root, the root over days, the signature and
        the timestamp (made by ``onestop audit anchor``)."""
        with engine().read() as session:
            return anchoring.list_anchors(session)


@blp.route("/audit/anchors/verify")
class AnchorCheck(MethodView):
    @secured(blp, *HISTORY_READERS, errors=(422,))
    @blp.arguments(AnchorVerifyArgsSchema, location="query")
    @blp.response(200, AnchorVerificationSchema)
    def get(self, args):
        """Check every anchor: its heads make its signed roots, the signatures and timestamps
        hold, the tree over days only grew, and each anchored event is still in the log with the
        hash it had (a rewrite of the whole table is caught here)."""
        settings = load_audit_settings()
        return anchoring.verify_anchors(
            engine(),
            hmac_key=settings.anchor_key,
            since=args.get("since"),
            tsa_certificates=keys_from_settings.tsa_certificates(settings),
        )


@blp.route("/audit/keys")
class PublicKeys(MethodView):
    @problems(blp)
    @blp.response(200, PublicKeysSchema)
    def get(self):
        """The office's public keys, each with the days it signs (no account needed: they are
        published so that anyone can check the signed roots)."""
        with engine().read() as session:
            return public_keys_document(session)


@blp.route("/audit/consistency")
class Consistency(MethodView):
    @secured(blp, *HISTORY_READERS, errors=(422,))
    @blp.arguments(ConsistencyArgsSchema, location="query")
    @blp.response(200, ConsistencySchema)
    def get(self, args):
        """The RFC 6962 consistency proof that the tree over ``to`` days extends the one over
        ``from`` days: nothing signed before was rewritten."""
        return proofs.consistency(engine(), args["old_days"], args.get("new_days"))


@blp.route("/audit/roots/<string(length=7):month>")
class WitnessedRoots(MethodView):
    @secured(blp, AUDITOR, ADMIN, errors=(404, 409, 422))
    @blp.response(200, WitnessedFileSchema)
    def get(self, month):
        """The month's signed roots as one signed file (``YYYY-MM``): the file the bureau keeps."""
        signer = keys_from_settings.signer()
        if signer is None:  # the server is not set up for it: nothing the caller can change
            abort(409, message="No signing key is configured on this server (ONESTOP_SIGNING_KEY_FILE)")
        return proofs.witnessed_file(engine(), month, signer)


@blp.route("/cases/<string:case_id>/proof")
class CaseProof(MethodView):
    @secured(blp, *HISTORY_READERS, errors=(404,))
    @blp.response(200, CaseProofSchema)
    def get(self, case_id):
        """The case's exported history with the inclusion proof of its head in every signed day
        it changed on: check it offline with ``python -m verifier case`` (docs/integrity.md). The
        events are as stored (their hashes cover them), national ID numbers in full: each download
        is recorded as a read of personal data (``/api/audit/personal-data-reads``)."""
        with engine().read() as session:
            case = queries.get_case(session, case_id, case_access())
        record_full_read(case, "proof")
        return proofs.case_proof(engine(), case_id, zone(), access=case_access())


@blp.route("/public/cases/<string(maxlength=20):number>/proof")
class ApplicantProof(MethodView):
    @problems(blp, 404, 429)
    @blp.arguments(PublicProofArgsSchema, location="query")
    @blp.response(200, CaseProofSchema)
    def get(self, args, number):
        """The same proof of one's own case, by case number and access code: the applicant can
        check it without anyone else's data."""
        case = case_for_applicant(number, args["code"])
        return proofs.case_proof(engine(), case.id, zone())
