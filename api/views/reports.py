"""Supervisors and auditors: management reports (JSON or CSV) and process-mining exports."""

from __future__ import annotations

from flask import Response, json
from flask.views import MethodView
from flask_smorest import abort

from engine.audit import CaseSelection, mined_cases, to_ocel, to_xes
from workflows.reports import REPORTS, report_csv, run_report

from ..audit_schemas import MiningArgsSchema, OcelSchema, ReportArgsSchema, ReportInfoSchema, ReportSchema
from ..auth import HISTORY_READERS, case_access, engine
from .common import Blueprint, secured, zone

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/api",
    description="Reports for supervisors and auditors; process-mining exports (XES, OCEL 2.0).",
)

REPORT_DOC = {
    "responses": {
        "200": {
            "description": "the report, as JSON or (format=csv) as CSV",
            "content": {"application/json": {"schema": ReportSchema}, "text/csv": {"schema": {"type": "string"}}},
        }
    }
}
XES_DOC = {
    "responses": {
        "200": {
            "description": "an IEEE 1849 (XES) event log",
            "content": {"application/xml": {"schema": {"type": "string"}}},
        }
    }
}


@blp.route("/reports")
class Reports(MethodView):
    @secured(blp, *HISTORY_READERS)
    @blp.response(200, ReportInfoSchema(many=True))
    def get(self):
        """The reports there are."""
        return [
            {"name": report.name, "title": report.title, "columns": list(report.columns)} for report in REPORTS.values()
        ]


@blp.route("/reports/<string:name>")
class ReportView(MethodView):
    @secured(blp, *HISTORY_READERS, errors=(404, 422))
    @blp.arguments(ReportArgsSchema, location="query")
    @blp.doc(**REPORT_DOC)
    def get(self, args, name):
        """One report for a period (office-local days; default: this month so far), optionally for
        one procedure; ``format=csv`` answers text/csv. Reports: sla, backlog, processing-time,
        supplements, ratings, complaints, workload, steps (per BPMN step and version; needs a
        procedure)."""
        if name not in REPORTS:
            abort(404, message=f"There is no report '{name}'; there are: {', '.join(REPORTS)}")
        result = run_report(
            engine(), name, first=args.get("first"), last=args.get("last"), procedure=args.get("procedure"), zone=zone()
        )
        if args["format"] == "csv":
            return Response(
                report_csv(result),
                mimetype="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
            )
        return Response(json.dumps(ReportSchema().dump(result), ensure_ascii=False), mimetype="application/json")


def _office_time(moment):
    """A time without an offset is read as the office's local time."""
    return moment.replace(tzinfo=zone()) if moment is not None and moment.tzinfo is None else moment


def _selection(args) -> CaseSelection:
    return CaseSelection(
        procedure=args.get("procedure"),
        status=args.get("status"),
        received_from=_office_time(args.get("received_from")),
        received_to=_office_time(args.get("received_to")),
        limit=args["limit"],
        access=case_access(),
    )


@blp.route("/mining/xes")
class XesExport(MethodView):
    @secured(blp, *HISTORY_READERS, errors=(422,))
    @blp.arguments(MiningArgsSchema, location="query")
    @blp.doc(**XES_DOC)
    def get(self, args):
        """Selected cases as an XES event log (pm4py, ProM, Disco...): one trace per case; no case
        data, so no personal data."""
        body = to_xes(mined_cases(engine(), _selection(args)))
        return Response(
            body, mimetype="application/xml", headers={"Content-Disposition": 'attachment; filename="onestop.xes"'}
        )


@blp.route("/mining/ocel")
class OcelExport(MethodView):
    @secured(blp, *HISTORY_READERS, errors=(422,))
    @blp.arguments(MiningArgsSchema, location="query")
    @blp.response(200, OcelSchema)
    def get(self, args):
        """Selected cases as an OCEL 2.0 (JSON) object-centric log: cases and tasks are objects."""
        return Response(
            json.dumps(to_ocel(mined_cases(engine(), _selection(args))), ensure_ascii=False),
            mimetype="application/json",
        )
