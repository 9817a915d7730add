"""The designer's page: what onestop reads in a diagram (offered by the properties panel), and
what a deploy would do before it is done (its findings and its changes to the current version)."""

from __future__ import annotations

import inspect

from flask.views import MethodView

from engine import accounts
from engine.definitions import diff_bundles, lint_bundle
from engine.storage import queries

from ..auth import ADMIN, DESIGNER, engine
from ..designer_schemas import DeployPreviewSchema, DesignerExtensionsSchema
from .common import Blueprint, secured
from .definitions import UPLOAD_DOC, process_key_field, uploaded_files

blp = Blueprint(
    "designer",
    __name__,
    url_prefix="/api/designer",
    description="The designer's page: extensions onestop reads, and the preview of a deploy.",
)


def _signature(function) -> str:
    try:
        return f"{function.__name__}{inspect.signature(function)}".replace(" -> ", " → ")
    except (TypeError, ValueError):
        return f"{function.__name__}(…)"


def _summary(function) -> str:
    return (inspect.getdoc(function) or "").split("\n\n")[0].replace("\n", " ")


@blp.route("/extensions")
class Extensions(MethodView):
    @secured(blp, DESIGNER, ADMIN)
    @blp.response(200, DesignerExtensionsSchema)
    def get(self):
        """What a diagram may name: script functions (those for timers marked), service-task
        operators, the applicant notices a task may send, the groups users work in (the lanes),
        and the extra form formats."""
        system = engine()
        functions = system.script_functions.as_dict()
        timers = system.script_functions.timer_names()
        with system.read() as session:
            groups = accounts.known_groups(session)
        return {
            "script_functions": [
                {
                    "name": name,
                    "signature": _signature(function),
                    "summary": _summary(function),
                    "for_timers": name in timers,
                }
                for name, function in sorted(functions.items())
            ],
            "operators": [
                {"name": name, "description": operator.description, "asynchronous": operator.asynchronous}
                for name in sorted(system.operators.names())
                for operator in [system.operators.get(name)]
            ],
            "notice_kinds": sorted(system.notifications.notice_kinds()),
            "groups": groups,
            "form_formats": sorted(system.form_formats.names()),
        }


@blp.route("/deploy-preview")
class DeployPreview(MethodView):
    @secured(blp, DESIGNER, ADMIN, errors=(400, 413, 422))
    @blp.doc(**UPLOAD_DOC)
    @blp.response(200, DeployPreviewSchema)
    def post(self):
        """What deploying these files would do, without deploying: the verdict, every finding
        (the checks' and the lint's, as validate gives them) and, when the procedure has a version
        already, what changes against its latest version."""
        files = uploaded_files()
        system = engine()
        bundle = system.deployments.validate(files, process_key_field())
        findings = [finding.as_dict() for finding in [*bundle.findings, *lint_bundle(files)]]
        key = process_key_field() or bundle.main_process_id
        current, diff = None, None
        if key:
            with system.read() as session:
                latest = queries.latest_version(session, key)
                if latest is not None:
                    current = latest.version
                    diff = diff_bundles(queries.definition_files(session, latest.id), files)
        return {
            "key": key,
            "ok": bundle.ok,
            "verdict": bundle.verdict,
            "findings": findings,
            "errors": sum(1 for finding in findings if finding["severity"] == "error"),
            "warnings": sum(1 for finding in findings if finding["severity"] == "warning"),
            "current_version": current,
            "diff": diff,
        }
