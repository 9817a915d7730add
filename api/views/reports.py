"""Supervisors and auditors: management reports (JSON or CSV) and process-mining exports."""

from __future__ import annotations

from datetime import date

from flask import Response, json
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from engine.audit import CaseSelection, mined_cases, reports, to_ocel, to_xes
from workflows.annual_report import FontMissing, annual_csv, annual_pdf
from workflows.bureau import office_comparison
from workflows.reports import REPORTS, report_csv, run_report
from workflows.review import annual_review, month_period, monthly_review, set_target, targets

from ..audit_schemas import MiningArgsSchema, OcelSchema, ReportArgsSchema, ReportInfoSchema, ReportSchema
from ..auth import ADMIN, HISTORY_READERS, SUPERVISOR, case_access, current_principal, engine
from ..schemas import StrictSchema
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


OFFICE_ARG = fields.String(
    validate=validate.Length(min=1, max=12),
    metadata={"description": "one office's figures (default: every office the caller works for)"},
)


class ReviewArgsSchema(Schema):
    month = fields.String(
        validate=validate.Regexp(r"^20[0-9]{2}-(0[1-9]|1[0-2])$"),
        metadata={"description": "YYYY-MM; default: this month"},
    )
    office = OFFICE_ARG


class AnnualArgsSchema(Schema):
    year = fields.Integer(validate=validate.Range(min=2000, max=2100), metadata={"description": "default: this year"})
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "pdf"]))
    office = OFFICE_ARG


class ComparisonArgsSchema(ReviewArgsSchema):
    pass


def office_scope(args):
    """The report's offices: the one asked for, if the caller works for it, else all of theirs.
    Another office's figures are answered as a report that does not exist (404)."""
    reach = current_principal().offices
    requested = args.get("office")
    if requested is not None and reach is not None and requested not in reach:
        abort(404, message=f"There is no office {requested} among yours")
    return reports.office_scope({requested} if requested else reach)


class TargetSchema(Schema):
    indicator = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    unit = fields.String(metadata={"description": "share (0-1), minutes, working_days or count"})
    higher_is_better = fields.Boolean()
    target = fields.Float(allow_none=True)
    amber = fields.Float(allow_none=True, metadata={"description": "how far from the target still counts as amber"})
    set_by = fields.String(allow_none=True)
    set_at = fields.DateTime(allow_none=True)


class TargetInputSchema(StrictSchema):
    target = fields.Float(required=True, allow_nan=False)
    amber = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0))


def _today():
    return engine().clock.now().astimezone(zone()).date()


@blp.route("/reports/review")
class Review(MethodView):
    @secured(blp, *HISTORY_READERS, errors=(422,))
    @blp.arguments(ReviewArgsSchema, location="query")
    @blp.doc(
        responses={
            "200": {
                "description": "the month's indicators",
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        }
    )
    def get(self, args):
        """The month's review figures (平時查核): each indicator with its value, the office's target,
        red/amber/green and the change from the month before, and the counts behind them."""
        month = args.get("month")
        first = date.fromisoformat(f"{month}-01") if month else _today().replace(day=1)
        with office_scope(args):
            review = monthly_review(engine(), first)
        return Response(json.dumps(review, ensure_ascii=False), mimetype="application/json")


@blp.route("/reports/offices")
class OfficeComparison(MethodView):
    @secured(blp, *HISTORY_READERS, errors=(404, 422))
    @blp.arguments(ComparisonArgsSchema, location="query")
    @blp.doc(
        responses={
            "200": {
                "description": "the offices ranked, with the city's totals",
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        }
    )
    def get(self, args):
        """The bureau's comparison of its offices for a month (default: this month): cases received
        and judged, share served on time (the rank), breaches, open and overdue cases, ratings, each
        against the targets; the city's totals. A caller of some offices compares those only."""
        month = args.get("month")
        first = date.fromisoformat(f"{month}-01") if month else _today().replace(day=1)
        with office_scope(args):
            comparison = office_comparison(engine(), month_period(first))
        return Response(json.dumps(comparison, ensure_ascii=False, default=str), mimetype="application/json")


@blp.route("/reports/targets")
class Targets(MethodView):
    @secured(blp, *HISTORY_READERS)
    @blp.response(200, TargetSchema(many=True))
    def get(self):
        """Every indicator's target and amber margin (the office's, else the default)."""
        return list(targets(engine()).values())


@blp.route("/reports/targets/<string:indicator>")
class Target(MethodView):
    @secured(blp, SUPERVISOR, ADMIN, errors=(400, 422))
    @blp.arguments(TargetInputSchema)
    @blp.response(200, TargetSchema)
    def put(self, body, indicator):
        """Set the office's target for an indicator (a share from 0 to 1, or minutes, days, a count)."""
        return set_target(engine(), indicator, body["target"], body["amber"], current_principal().username)


@blp.route("/reports/annual")
class Annual(MethodView):
    @secured(blp, *HISTORY_READERS, errors=(422, 503))
    @blp.arguments(AnnualArgsSchema, location="query")
    @blp.doc(
        responses={
            "200": {
                "description": "the annual review (年度查核) as JSON, CSV or PDF",
                "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "text/csv": {"schema": {"type": "string"}},
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    )
    def get(self, args):
        """The annual review for the Civil Affairs Bureau: the year's indicators per month, the
        targets met, and the diagram versions deployed with their effect on the figures."""
        year = args.get("year") or _today().year
        with office_scope(args):
            review = annual_review(engine(), year)
        name = f"annual-review-{year}"
        if args["format"] == "csv":
            return Response(
                annual_csv(review),
                mimetype="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
            )
        if args["format"] == "pdf":
            try:
                body = annual_pdf(review)
            except FontMissing as error:
                abort(503, message=error.message)
            return Response(
                body, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'}
            )
        return Response(json.dumps(review, ensure_ascii=False, default=str), mimetype="application/json")


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
        with office_scope(args):
            result = run_report(
                engine(),
                name,
                first=args.get("first"),
                last=args.get("last"),
                procedure=args.get("procedure"),
                zone=zone(),
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
