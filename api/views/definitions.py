"""Process designers: upload, validate, list and download procedure definitions."""

from __future__ import annotations

import io
import lzma
import struct
import zipfile
import zlib
from pathlib import PurePosixPath

from flask import Response, request
from flask.views import MethodView
from flask_smorest import abort

from engine import InvalidInput
from engine import commands as cmd
from engine.definitions import (
    ASSIGN_LANE,
    apply_fixes,
    diff_versions,
    dry_run,
    lint_bundle,
    synchronous_script_engine,
    wall_clock_now,
)
from engine.storage import queries

from ..auth import ADMIN, ANY_ROLE, DESIGNER, SUPERVISOR, current_principal, engine
from ..designer_schemas import (
    DefinitionDiffSchema,
    DiffArgsSchema,
    DryRunRequestSchema,
    DryRunResultSchema,
    FixedValidationResultSchema,
    MovePreviewSchema,
    MoveRequestSchema,
    MoveResultSchema,
    ValidateArgsSchema,
)
from ..problems import PROBLEM_JSON
from ..schemas import (
    BpmnFileArgsSchema,
    DefinitionDetailSchema,
    DefinitionSummarySchema,
    DefinitionVersionSchema,
    DeployResultSchema,
    ProblemSchema,
    unstorable,
)
from .common import Blueprint, secured

# Versions are 32-bit integers in the database: a larger number in a URL is no route (404).
blp = Blueprint(
    "definitions",
    __name__,
    url_prefix="/api/definitions",
    description="Procedure definitions: BPMN, DMN and JSON Schema forms, versioned.",
)

ACCEPTED_SUFFIXES = (".bpmn", ".dmn", ".json")
MAX_NAME_LENGTH = 300  # definition_files.name
MAX_PROCESS_KEY_LENGTH = 200  # definitions.process_key
MAX_ZIP_MEMBERS = 200
MAX_UNZIPPED_BYTES = 20 * 1024 * 1024
# What reading an untrusted archive can raise, besides BadZipFile: truncated or corrupt data,
# unsupported compression or encryption.
UNREADABLE_ZIP = (
    zipfile.BadZipFile,
    RuntimeError,
    OSError,
    NotImplementedError,
    EOFError,
    ValueError,
    zlib.error,
    lzma.LZMAError,
    struct.error,
)

UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": ".bpmn, .dmn, .json forms, or one .zip of a procedure folder",
                        },
                        "process_key": {"type": "string", "description": "process to start cases on"},
                        "as_draft": {
                            "type": "boolean",
                            "description": "deploy only: store a rejected upload as a draft anyway, to open and fix "
                            "it in the modeller (when its files can be read)",
                        },
                    },
                    "required": ["files"],
                }
            }
        },
    }
}


def uploaded_files() -> dict[str, bytes]:
    """The procedure's files from a multipart upload: loose files and/or zips of a folder."""
    uploads = request.files.getlist("files") or list(request.files.values())
    if not uploads:
        abort(
            422,
            message="Upload the procedure's files in the multipart field 'files'",
            errors={"files": ["no file was uploaded"]},
        )
    files: dict[str, bytes] = {}
    for upload in uploads:
        name = _file_name(upload.filename or "")
        content = upload.read()
        if name.lower().endswith(".zip"):
            files.update(_unzip(name, content))
        elif name:
            files[name] = content
    if not files:
        abort(
            422,
            message="No .bpmn, .dmn or .json file was found in the upload",
            errors={"files": ["no procedure file found"]},
        )
    return files


def _file_name(raw: str, within: str | None = None) -> str:
    """The file's own name (folders dropped: no path traversal), if it can be stored."""
    name = PurePosixPath(raw.replace("\\", "/")).name
    problem = unstorable(name) or (
        f"is longer than {MAX_NAME_LENGTH} characters" if len(name) > MAX_NAME_LENGTH else None
    )
    if problem:
        where = f"a file name in {within}" if within else "a file name"
        abort(
            422,
            message=f"The upload has {where} that cannot be used: it {problem}",
            errors={"files": [f"file name {problem}"]},
        )
    return name


def process_key_field() -> str | None:
    value = request.form.get("process_key") or None
    if value is not None:
        problem = unstorable(value) or (
            f"is longer than {MAX_PROCESS_KEY_LENGTH} characters" if len(value) > MAX_PROCESS_KEY_LENGTH else None
        )
        if problem:
            abort(422, message=f"process_key {problem}", errors={"process_key": [problem]})
    return value


def as_draft_field() -> bool:
    return (request.form.get("as_draft") or "").strip().lower() in ("1", "true", "yes", "on")


def _unzip(name: str, content: bytes) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except UNREADABLE_ZIP as error:
        abort(422, message=f"{name} is not a readable zip file: {error}", errors={"files": [f"{name}: not a zip"]})
    if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
        abort(
            422,
            message=f"{name} is too large (at most {MAX_ZIP_MEMBERS} files, "
            f"{MAX_UNZIPPED_BYTES // (1024 * 1024)} MB unpacked)",
            errors={"files": [f"{name}: too large"]},
        )
    files = {}
    for member in members:
        member_name = _file_name(member.filename, within=name)
        if member_name.lower().endswith(ACCEPTED_SUFFIXES):
            try:
                files[member_name] = archive.read(member)
            except UNREADABLE_ZIP as error:
                abort(
                    422,
                    message=f"{member.filename} in {name} cannot be read: {error}",
                    errors={"files": [f"{member.filename}: unreadable"]},
                )
    return files


# Lint findings of a stored version, by content hash (the files of a version never change).
_LINT_OF_VERSION: dict[str, list[dict]] = {}


def version_findings(definition, files: dict[str, bytes]) -> list[dict]:
    """The findings validate gives for the version's files: those recorded when it was deployed,
    and the lint's warnings (not recorded at deploy)."""
    lint = _LINT_OF_VERSION.get(definition.content_hash)
    if lint is None:
        lint = _LINT_OF_VERSION[definition.content_hash] = [finding.as_dict() for finding in lint_bundle(files)]
    return [*(definition.findings or []), *lint]


def version_dict(definition, session) -> dict:
    files = queries.definition_files(session, definition.id)
    return {
        "key": definition.process_key,
        "version": definition.version,
        "name": definition.name,
        "content_hash": definition.content_hash,
        "deployed_at": definition.deployed_at,
        "deployed_by": definition.deployed_by,
        "findings": version_findings(definition, files),
        "draft": bool(definition.draft),
        "main_file": definition.main_file,
        "files": sorted(files),
    }


@blp.route("")
class Definitions(MethodView):
    @secured(blp, *ANY_ROLE)
    @blp.response(200, DefinitionSummarySchema(many=True))
    def get(self):
        """List deployed procedures with their latest version."""
        with engine().read() as session:
            rows = queries.list_definitions(session)
        latest: dict[str, object] = {}
        counts: dict[str, int] = {}
        for row in rows:
            latest[row.process_key] = row
            counts[row.process_key] = counts.get(row.process_key, 0) + 1
        return [
            {
                "key": key,
                "name": row.name,
                "latest_version": row.version,
                "versions": counts[key],
                "standard_time": engine().catalogue.standard_time(key),
            }
            for key, row in latest.items()
        ]

    @secured(blp, DESIGNER, ADMIN, errors=(400, 413))
    @blp.doc(**UPLOAD_DOC)
    @blp.response(201, DeployResultSchema, description="a new version was deployed")
    @blp.alt_response(200, schema=DeployResultSchema, description="the same content was already deployed")
    @blp.alt_response(
        422,
        schema=ProblemSchema,
        content_type=PROBLEM_JSON,
        description="rejected: the upload is unusable, or the procedure has errors "
        "(see findings); a draft is stored (201, draft: true)",
    )
    def post(self):
        """Deploy a procedure (multipart: .bpmn, .dmn, .json forms, or a zip of the folder)."""
        files = uploaded_files()
        result = engine().handle(
            cmd.DeployDefinition(
                files, actor=current_principal().username, process_key=process_key_field(), as_draft=as_draft_field()
            )
        )
        draft = bool(result.definition.draft)
        body = {
            "key": result.definition.process_key,
            "version": result.definition.version,
            "created": result.created,
            "verdict": "draft" if draft else "executable",
            "draft": draft,
            "findings": [finding.as_dict() for finding in result.findings],
            "rehearsal": result.rehearsal,
        }
        return body, 201 if result.created else 200


@blp.route("/validate")
class ValidateDefinition(MethodView):
    @secured(blp, DESIGNER, ADMIN, errors=(400, 413, 422))
    @blp.doc(**UPLOAD_DOC)
    @blp.arguments(ValidateArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, FixedValidationResultSchema)
    def post(self, fix=None, lane=None, process=None):
        """Run every deploy-time check, the rehearsal of a case start and the lint (warnings)
        without deploying; offer the automatic fixes for the fixable findings.

        With ?fix=... (see the offers), first apply those fixes, and return the findings of the
        rewritten bundle with the rewritten files and the diff of each."""
        files = uploaded_files()
        if fix and ASSIGN_LANE in fix and not lane:
            abort(422, message="The fix assign-lane needs the lane to put the tasks in", errors={"lane": ["required"]})
        fixed = apply_fixes(files, fix, lane=lane, process=process) if fix else None
        if fixed is not None:
            files = fixed.files
        bundle = engine().check_upload(files, process_key_field())
        findings = [*bundle.findings, *lint_bundle(files)]  # lint warnings only here, not at deploy
        body = {
            "ok": bundle.ok,
            "verdict": bundle.verdict,
            "main_process_id": bundle.main_process_id,
            "findings": [finding.as_dict() for finding in findings],
            "offers": [offer.as_dict() for offer in bundle.offers],
            "rehearsal": bundle.rehearsal.as_dict() if bundle.rehearsal is not None else None,
            "storable_as_draft": bundle.storable_as_draft,
        }
        if fixed is not None:
            body.update(
                fixes=[rewrite.as_dict() for rewrite in fixed.rewrites],
                files={name: files[name].decode("utf-8") for name in sorted(fixed.diffs)},
                diffs=fixed.diffs,
            )
        return body


@blp.route("/<string:key>")
class DefinitionDetail(MethodView):
    @secured(blp, *ANY_ROLE, errors=(404,))
    @blp.response(200, DefinitionDetailSchema)
    def get(self, key):
        """A procedure with all its versions."""
        with engine().read() as session:
            versions = queries.definition_versions(session, key)
            return {
                "key": key,
                "name": versions[-1].name,
                "standard_time": engine().catalogue.standard_time(key),
                "versions": [version_dict(row, session) for row in versions],
            }


@blp.route("/<string:key>/diff")
class DefinitionDiff(MethodView):
    @secured(blp, *ANY_ROLE, errors=(404, 422))
    @blp.arguments(DiffArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, DefinitionDiffSchema)
    def get(self, key, from_version, to_version):
        """What changed between two versions: BPMN/DMN elements added, removed, changed; files."""
        with engine().read() as session:
            diff = diff_versions(session, key, from_version, to_version)
        return {
            "key": key,
            "from_version": from_version,
            "to_version": to_version,
            "files": diff["files"],
            "elements": diff["elements"],
        }


@blp.route("/<string:key>/versions/<int(max=2147483647):version>")
class DefinitionVersion(MethodView):
    @secured(blp, *ANY_ROLE, errors=(404,))
    @blp.response(200, DefinitionVersionSchema)
    def get(self, key, version):
        """One version of a procedure."""
        with engine().read() as session:
            return version_dict(queries.definition_version(session, key, version), session)


@blp.route("/<string:key>/versions/<int(max=2147483647):version>/bpmn")
class DefinitionBpmn(MethodView):
    @secured(blp, *ANY_ROLE, errors=(404,))
    @blp.doc(
        responses={
            "200": {
                "description": "the BPMN XML as deployed",
                "content": {"application/xml": {"schema": {"type": "string"}}},
            }
        }
    )
    @blp.arguments(BpmnFileArgsSchema, location="query", as_kwargs=True)
    def get(self, key, version, file=None):
        """The BPMN XML as deployed: the file of the main process (the one cases start on), or ?file=name."""
        with engine().read() as session:
            definition = queries.definition_version(session, key, version)
            files = queries.definition_files(session, definition.id)
        name = file or definition.main_file
        if name not in files:
            what = f"file {name!r}" if name else "BPMN file of its main process"
            abort(404, message=f"Version {version} of {key} has no {what}")
        return Response(files[name], mimetype="application/xml")


@blp.route("/<string:key>/versions/<int(max=2147483647):version>/dry-run")
class DefinitionDryRun(MethodView):
    @secured(blp, DESIGNER, ADMIN, errors=(400, 404, 413, 422))
    @blp.arguments(DryRunRequestSchema)
    @blp.response(200, DryRunResultSchema)
    def post(self, sample, key, version):
        """Walk a version with sample data and show the path: in memory, no case, no service call."""
        with engine().read() as session:
            definition = queries.definition_version(session, key, version)
            if definition.draft:
                raise InvalidInput(
                    f"Version {definition.version} of {key} is a draft: it cannot run. "
                    "Fix its findings and deploy it again.",
                    errors=[{"field": "version", "message": "is a draft"}],
                )
            parsed = engine().deployments.get(session, definition.id)
        scripts = synchronous_script_engine(
            engine().script_functions, engine().script_timeout_seconds, engine().step_limit
        )
        due_at = engine().catalogue.due_at(parsed.process_key, wall_clock_now())
        return dry_run(
            parsed,
            scripts,
            sample["data"],
            tasks=sample["tasks"],
            services=sample["services"],
            max_steps=sample["max_steps"],
            due_at=due_at,
        ).as_dict()


@blp.route("/<string:key>/move-preview")
class MovePreview(MethodView):
    @secured(blp, DESIGNER, SUPERVISOR, ADMIN, errors=(404, 422))
    @blp.arguments(DiffArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, MovePreviewSchema)
    def get(self, key, from_version, to_version):
        """Which running cases of one version could move to another, and which elements block the others."""
        preview = engine().preview_move(key, from_version, to_version)
        return {
            "key": key,
            "from_version": from_version,
            "to_version": to_version,
            "movable": preview["movable"],
            "blocked": preview["blocked"],
            "truncated": preview["truncated"],
        }


@blp.route("/<string:key>/moves")
class CaseMoves(MethodView):
    @secured(blp, DESIGNER, ADMIN, errors=(400, 404, 422))
    @blp.arguments(MoveRequestSchema)
    @blp.response(200, MoveResultSchema)
    def post(self, body, key):
        """Move running cases of one version to a newer one: all that can move, or those in
        ``case_ids``. Each case moves in its own transaction, recorded as a ``case_migrated``
        event; a case that cannot move is reported with the elements that block it."""
        outcomes = engine().handle(
            cmd.MoveCases(
                key,
                body["from_version"],
                body["to_version"],
                body["reason"],
                actor=current_principal().username,
                case_ids=tuple(body["case_ids"]) if body["case_ids"] is not None else None,
            )
        )
        cases = [
            {
                "case_id": o.case_id,
                "outcome": o.outcome,
                "reason": o.reason,
                "blocked_by": list(o.blocked_by),
                "last_event_seq": o.last_event_seq,
            }
            for o in outcomes
        ]
        return {
            "key": key,
            "from_version": body["from_version"],
            "to_version": body["to_version"],
            **{kind: sum(1 for o in outcomes if o.outcome == kind) for kind in ("moved", "blocked", "failed")},
            "cases": cases,
        }
