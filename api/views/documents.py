"""Files attached to cases, for clerks: list them, open one (through this authorised endpoint,
never a public URL), attach a scan. Applicants upload theirs through api/views/online.py."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, request
from flask.views import MethodView
from flask_smorest import abort

from engine import commands as cmd
from engine.storage import queries

from ..auth import CASE_READERS, CASE_WORKERS, case_access, current_principal, engine
from ..online_schemas import DocumentSchema
from ..schemas import CaseChangedSchema
from .cases import changed_dict
from .common import Blueprint, secured

blp = Blueprint(
    "documents", __name__, url_prefix="/api/cases", description="Files attached to cases: list, open, attach."
)

FILE_FIELD_PREFIX = "documents."
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def upload_doc(description: str, extra: dict | None = None) -> dict:
    """The OpenAPI requestBody of a multipart upload of documents."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            **(extra or {}),
                            f"{FILE_FIELD_PREFIX}<kind>": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                                "description": description,
                            },
                        },
                    }
                }
            },
        }
    }


def uploads_from_request() -> tuple[cmd.Upload, ...]:
    """The files of a multipart request, each in a field named ``documents.<kind>`` (the kind
    says which document it is: ``documents.birth_certificate``)."""
    uploads = []
    for field, storage in request.files.items(multi=True):
        if not field.startswith(FILE_FIELD_PREFIX):
            abort(
                422,
                message=f"The file '{storage.filename}' is in the field '{field}'; send each file in "
                f"'{FILE_FIELD_PREFIX}<kind>' (e.g. {FILE_FIELD_PREFIX}birth_certificate)",
                errors={field: [f"{storage.filename}: unknown field"]},
            )
        uploads.append(cmd.Upload(storage.filename or "", storage.read(), field[len(FILE_FIELD_PREFIX) :]))
    return tuple(uploads)


DOCUMENT_FIELDS = ("id", "kind", "file_name", "media_type", "size", "sha256", "occasion", "attached_at", "attached_by")


def document_dict(row, fields: tuple[str, ...] = DOCUMENT_FIELDS) -> dict:
    return {name: getattr(row, name) for name in fields}


def download_name(row) -> str:
    """The sender's name, with the extension of the type the content really is."""
    extension = EXTENSIONS.get(row.media_type, "")
    return row.file_name if row.file_name.lower().endswith(extension) else row.file_name + extension


@blp.route("/<string:case_id>/documents")
class CaseDocuments(MethodView):
    @secured(blp, *CASE_READERS, errors=(404,))
    @blp.response(200, DocumentSchema(many=True))
    def get(self, case_id):
        """The files attached to the case: kind, name, sniffed type, size, SHA-256, when and by whom."""
        with engine().read() as session:
            queries.get_case(session, case_id, case_access())
            return [document_dict(row) for row in queries.case_documents(session, case_id)]

    @secured(blp, *CASE_WORKERS, errors=(404, 409, 413, 422))
    @blp.doc(**upload_doc("PDF, JPEG or PNG files, each in a field named by its kind"))
    @blp.response(200, CaseChangedSchema)
    def post(self, case_id):
        """Attach files to a running case (a scan made at the counter or on a home visit)."""
        changed = engine().handle(
            cmd.AttachDocuments(
                case_id, uploads_from_request(), actor=current_principal().username, access=case_access()
            )
        )
        return changed_dict(changed)


@blp.route("/<string:case_id>/documents/<string:document_id>")
class CaseDocumentContent(MethodView):
    @secured(blp, *CASE_READERS, errors=(404, 409))
    @blp.doc(
        parameters=[
            {
                "in": "query",
                "name": "download",
                "schema": {"type": "boolean"},
                "description": "as an attachment (saved) instead of shown inline",
            }
        ],
        responses={"200": {"description": "the file's bytes, as the type sniffed when it was received"}},
    )
    def get(self, case_id, document_id):
        """The file itself, checked against the SHA-256 recorded when it was received (409 if it no longer matches)."""
        row, content = engine().document(case_id, document_id, case_access())
        disposition = "attachment" if request.args.get("download") in ("1", "true") else "inline"
        name = download_name(row)
        ascii_name = name.encode("ascii", "replace").decode("ascii").replace('"', "'").replace("?", "_")
        response = Response(content, mimetype=row.media_type)
        response.headers["Content-Disposition"] = (
            f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"  # the sniffed type, never the browser's guess
        response.headers["Cache-Control"] = "private, no-store"  # personal documents stay off shared caches
        response.headers["X-Document-SHA256"] = row.sha256
        return response
