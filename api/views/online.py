"""Online applications (線上申辦) by applicants without an account.

1. ``POST /api/online/codes``: a national ID and a phone or email address; a one-time code goes
   there through the outbox (throttled per ID, per address and per caller: 429 with Retry-After).
2. ``POST /api/online/codes/{challenge_id}``: the code; answers an applicant token (30 minutes).
3. ``GET /api/online/procedures``: what the office takes online, with the counter's form.
4. ``POST /api/online/applications`` (multipart, with the token): the form's data and the
   documents; starts the case on the online channel with the files attached, and the receipt
   goes to the verified phone or email.
5. ``POST /api/online/cases/{number}/documents`` (multipart, with the case's access code): the
   missing documents, from the status page; delivers the supplement the case waits for.
"""

from __future__ import annotations

import json

from flask import request
from flask.views import MethodView
from flask_smorest import abort

from engine import InvalidInput, NotFound, accounts
from engine import commands as cmd
from engine.storage import queries
from workflows.identifiers import mask_national_id, valid_national_id
from workflows.notice import SUPPLEMENT, supplement_status

from ..auth import bearer_token, engine
from ..online_schemas import (
    ApplicantSessionSchema,
    ApplicationReceiptSchema,
    CodeCheckSchema,
    CodeRequestSchema,
    CodeSentSchema,
    OnlineProcedureSchema,
    SupplementResultSchema,
)
from .cases import IDEMPOTENCY_DOC, receipt
from .common import Blueprint, problems
from .documents import document_dict, upload_doc, uploads_from_request
from .public import case_for_applicant

blp = Blueprint(
    "online",
    __name__,
    url_prefix="/api/online",
    description="Online applications without an account: one-time code, the counter's form, documents, supplements.",
)

APPLICANT = "applicant"  # the actor of what applicants do online (who they are is in the case)
APPLICANT_AUTH = [{"applicantAuth": []}]


def mask_destination(channel: str, destination: str) -> str:
    if channel == "sms":
        return destination[:4] + "***" + destination[-3:]
    name, _, domain = destination.partition("@")
    return (name[:2] + "***@" + domain) if domain else "***"


def client_address() -> str:
    """The caller; behind reverse proxies, ProxyFix (ONESTOP_TRUSTED_PROXIES) makes it the real one."""
    return (request.remote_addr or "")[:64]


def current_applicant():
    token = bearer_token()
    applicant = None
    if token:
        with engine().read() as session:
            applicant = accounts.resolve_applicant(session, token, now=engine().clock.now())
    if applicant is None:
        abort(401, message="Verify your phone or email with a one-time code first (a verification lasts 30 minutes)")
    return applicant


def applicant_dict(applicant, token: str | None = None) -> dict:
    return {
        **({"token": token} if token else {}),
        "national_id": mask_national_id(applicant.identity),
        "channel": applicant.channel,
        "destination": mask_destination(applicant.channel, applicant.destination),
        "expires_at": applicant.expires_at,
    }


# ---------------------------------------------------------------------- one-time codes
@blp.route("/codes")
class Codes(MethodView):
    @problems(blp, 400, 422, 429)
    @blp.arguments(CodeRequestSchema)
    @blp.response(202, CodeSentSchema)
    def post(self, body):
        """Send a one-time code to the applicant's phone (SMS) or email, for their national ID."""
        if not valid_national_id(body["national_id"]):
            abort(422, message="The national ID number is not valid", errors={"national_id": ["check digit is wrong"]})
        with engine().write() as session:
            sent = accounts.request_code(
                session,
                identity=body["national_id"],
                channel=body["channel"],
                destination=body["destination"],
                client=client_address(),
                now=engine().clock.now(),
                policy=engine().notifications,
            )
        return {
            "challenge_id": sent.challenge_id,
            "channel": sent.channel,
            "destination": mask_destination(sent.channel, sent.destination),
            "expires_at": sent.expires_at,
        }


@blp.route("/codes/<string(maxlength=36):challenge_id>")
class CodeCheck(MethodView):
    @problems(blp, 400, 404, 409, 422)
    @blp.arguments(CodeCheckSchema)
    @blp.response(201, ApplicantSessionSchema)
    def post(self, body, challenge_id):
        """Check the code (five tries, ten minutes, once); answers the applicant's token."""
        with engine().write() as session:
            checked = accounts.check_code(session, challenge_id, body["code"], now=engine().clock.now())
            answer = applicant_dict(checked.session, checked.token) if checked.refusal is None else None
        if checked.refusal is not None:
            raise checked.refusal  # after the commit: a wrong try stays counted
        return answer


@blp.route("/session")
class Session(MethodView):
    @problems(blp, 401)
    @blp.doc(security=APPLICANT_AUTH)
    @blp.response(200, ApplicantSessionSchema)
    def get(self):
        """Who the applicant token stands for (masked) and until when."""
        return applicant_dict(current_applicant())

    @blp.doc(security=APPLICANT_AUTH)
    @blp.response(204)
    def delete(self):
        """End the applicant's session."""
        token = bearer_token()
        if token:
            with engine().write() as session:
                accounts.end_applicant_session(session, token, now=engine().clock.now())


# ---------------------------------------------------------------------- procedures
def latest_version(procedure: str):
    """The version cases of ``procedure`` start on now, or None if none is deployed."""
    with engine().read() as session:
        try:
            versions = [row for row in queries.definition_versions(session, procedure) if not row.draft]
        except NotFound:
            return None
    return engine().definition(versions[-1].id) if versions else None


def online_offer(procedure: str) -> tuple[dict, object]:
    """The online configuration of ``procedure`` and its latest deployed version, or 404."""
    config = engine().catalogue.online_application(procedure)
    definition = latest_version(procedure) if config else None
    if definition is None or config["form"] not in definition.forms:
        abort(404, message=f"'{procedure}' cannot be applied for online")
    return config, definition


def office_fields(config: dict) -> list[str]:
    return [name for name in (config["identity_field"], config["email_field"], config["phone_field"]) if name]


def procedure_dict(procedure: str, config: dict, definition) -> dict:
    schema = definition.forms[config["form"]]
    documents = schema.get("properties", {}).get(config["documents_field"] or "", {})
    standard = engine().catalogue.standard_time(procedure, channel="online") or {}
    return {
        "procedure": procedure,
        "name": {"zh": standard.get("name_zh", procedure), "en": standard.get("name_en", procedure)},
        "standard_time": {"amount": standard["amount"], "unit": standard["unit"]} if standard else None,
        "form": config["form"],
        "form_schema": schema,
        "office_fields": office_fields(config),
        "prefill": config["prefill"],
        "documents_field": config["documents_field"],
        "document_kinds": list(documents.get("items", {}).get("enum", [])),
        "accepted_types": list(engine().document_rules.media_types),
        "max_file_bytes": engine().document_rules.max_bytes,
    }


@blp.route("/procedures")
class OnlineProcedures(MethodView):
    @blp.response(200, OnlineProcedureSchema(many=True))
    def get(self):
        """The procedures the office takes online, each with the form to fill and the documents one may upload."""
        offered = []
        for procedure in engine().catalogue.online_procedures():
            config, definition = engine().catalogue.online_application(procedure), latest_version(procedure)
            if definition is not None and config["form"] in definition.forms:  # deployed: offered
                offered.append(procedure_dict(procedure, config, definition))
        return offered


# ---------------------------------------------------------------------- applications
def application_data(config: dict, applicant, kinds: list[str]) -> dict:
    """The form's data as the applicant sent it, with what the office fills itself."""
    try:
        data = json.loads(request.form.get("data") or "{}")
    except ValueError:
        abort(422, message="The form data is not JSON", errors={"data": ["must be a JSON object"]})
    if not isinstance(data, dict):
        abort(422, message="The form data must be a JSON object", errors={"data": ["must be a JSON object"]})
    data.update(config["prefill"])
    if config["identity_field"]:
        data[config["identity_field"]] = applicant.identity
    contact_field = config["phone_field"] if applicant.channel == "sms" else config["email_field"]
    if contact_field:
        data[contact_field] = applicant.destination
    if config["documents_field"]:
        data[config["documents_field"]] = sorted(set(kinds))
    return data


def applicant_of(config: dict, applicant, data: dict) -> dict:
    """The case's applicant: the verified ID and contact, the name and other contact from the form."""
    contacts = {"email": data.get(config["email_field"] or ""), "phone": data.get(config["phone_field"] or "")}
    contacts["phone" if applicant.channel == "sms" else "email"] = applicant.destination
    return {
        "name": str(data.get(config["name_field"]) or "")[:100] or None,
        "national_id": applicant.identity,
        **{key: value for key, value in contacts.items() if value},
        "verified_by": f"one_time_code_{applicant.channel}",
    }


def refuse_kinds(uploads, allowed: set[str], what: str) -> None:
    """Every file must be one of the documents ``allowed``; an error names each one that is not."""
    errors = [
        {
            "field": f"documents/{index}",
            "file": upload.file_name,
            "code": "not_taken",
            "message": f"is sent as '{upload.kind}', which is not among the documents {what}: "
            + (", ".join(sorted(allowed)) or "none"),
        }
        for index, upload in enumerate(uploads)
        if upload.kind not in allowed
    ]
    if errors:
        raise InvalidInput(f"The file '{errors[0]['file']}' {errors[0]['message']}", errors=errors)


@blp.route("/applications")
class Applications(MethodView):
    @problems(blp, 401, 404, 409, 413, 422)
    @blp.doc(security=APPLICANT_AUTH, **IDEMPOTENCY_DOC)
    @blp.doc(
        **upload_doc(
            "the documents (PDF, JPEG or PNG), each in a field named by its kind",
            {
                "procedure": {"type": "string"},
                "data": {"type": "string", "description": "the form's data as a JSON object"},
            },
        )
    )
    @blp.response(201, ApplicationReceiptSchema)
    def post(self):
        """Apply online: the counter's form and the documents; answers the receipt (also sent by SMS or email)."""
        applicant = current_applicant()
        procedure = (request.form.get("procedure") or "").strip()
        config, definition = online_offer(procedure)
        uploads = uploads_from_request()
        refuse_kinds(
            uploads, set(procedure_dict(procedure, config, definition)["document_kinds"]), "this application takes"
        )
        data = application_data(config, applicant, [upload.kind for upload in uploads])
        person = applicant_of(config, applicant, data)
        started = engine().handle(
            cmd.StartCase(
                procedure,
                data,
                "online",
                applicant=person,
                actor=APPLICANT,
                idempotency_key=(request.headers.get("Idempotency-Key") or "").strip()[:200] or None,
                idempotency_scope=f"{APPLICANT}:{applicant.identity}",  # each applicant's keys are their own
                documents=uploads,
                form=config["form"],
            )
        )
        with engine().read() as session:
            documents = [document_dict(row) for row in queries.case_documents(session, started.case_id)]
        return {
            "number": started.number,
            "access_code": started.access_code,
            "existing": started.existing,
            "receipt": receipt(started),
            "documents": documents,
            # The receipt goes to each contact the case has (the policy sends SMS and email).
            "receipt_sent_to": [
                mask_destination(channel, person[key])
                for key, channel in (("phone", "sms"), ("email", "email"))
                if key in person
            ],
        }, 200 if started.existing else 201


# ---------------------------------------------------------------------- supplements
@blp.route("/cases/<string(maxlength=20):number>/documents")
class Supplement(MethodView):
    @problems(blp, 404, 409, 413, 422, 429)
    @blp.doc(
        **upload_doc(
            "the missing documents, each in a field named by its kind",
            {"code": {"type": "string", "description": "the case's access code (on the receipt)"}},
        )
    )
    @blp.response(200, SupplementResultSchema)
    def post(self, number):
        """Upload the missing documents of one's case (the one-time notice lists them): the case goes on."""
        case = case_for_applicant(number, request.form.get("code") or "")
        uploads = uploads_from_request()
        supplement = supplement_status(engine().case_state(case.id))
        if not supplement["awaiting_documents"]:
            abort(409, message=f"Case {case.number} is not waiting for documents")
        refuse_kinds(uploads, set(supplement["missing_documents"]), "the case is missing")
        kinds = sorted({upload.kind for upload in uploads})
        changed = engine().handle(
            cmd.AttachDocuments(
                case.id,
                uploads,
                actor=APPLICANT,
                occasion="supplement",
                message=(SUPPLEMENT["message"], {"documents": kinds, "channel": "online"}),
            )
        )
        with engine().read() as session:
            rows = queries.case_documents(session, case.id)
        return {
            "number": case.number,
            "status": changed.status,
            "documents": [document_dict(row) for row in rows if row.occasion == "supplement"],
        }
