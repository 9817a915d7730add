"""The improvement loop: findings of a period, what-if runs on a past period's real arrivals, and
the measured effect of a deployed change."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from pathlib import Path

from flask import Response, json, url_for
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import fields, validate

import bootstrap
from workflows.improvement import runs
from workflows.improvement.effects import effect
from workflows.improvement.findings import KINDS, findings

from ..audit_schemas import PeriodArgsSchema, QueryArgs
from ..auth import ADMIN, AUDITOR, DESIGNER, SUPERVISOR, current_principal, engine
from ..schemas import StrictSchema, within_years
from .common import Blueprint, secured, settings, zone

blp = Blueprint(
    "improvement",
    __name__,
    url_prefix="/api/improvement",
    description="The improvement loop: findings ranked from a period's cases, what-if runs, effects of deploys.",
)

IMPROVERS = (DESIGNER, SUPERVISOR, AUDITOR, ADMIN)
PROPOSERS = (DESIGNER, SUPERVISOR, ADMIN)
# What-if runs take minutes of CPU: one at a time per process, in the background.
RUNNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="onestop-what-if")
JSON_DOC = {"content": {"application/json": {"schema": {"type": "object"}}}}


class FindingsArgsSchema(PeriodArgsSchema):
    kind = fields.String(validate=validate.OneOf(KINDS))


def _period(args) -> tuple[date, date]:
    today = engine().clock.now().astimezone(zone()).date()
    first = args.get("first") or today.replace(day=1)
    return first, args.get("last") or (today if first <= today else first)


@blp.route("/findings")
class Findings(MethodView):
    @secured(blp, *IMPROVERS, errors=(422,))
    @blp.arguments(FindingsArgsSchema, location="query")
    @blp.doc(responses={"200": {"description": "the period's candidates, ranked", **JSON_DOC}})
    def get(self, args):
        """The improvement candidates of a period (default: this month so far), ranked by the cases
        behind each: steps where cases stayed beyond their standard, documents the one-time notices
        named, agency checks that fell back to manual work, procedures rated low with the
        complaint categories of their applicants. Each candidate has ``rank``, ``kind``,
        ``procedure``, ``element_id``/``element_name`` and the ``version`` whose diagram shows it,
        ``subject`` (the document, the agency operation), ``cases`` (how many: the first key of
        the rank), ``figure`` (the kind's own measure: the second key), ``case_search`` (the case
        search's filters) and ``case_list`` (its first cases by number); and per kind ``hours_beyond_standard``, ``open_hours_median``, ``open_hours_p90``,
        ``instances``; ``notice_rounds``, ``not_brought``; ``failures``, ``checks``,
        ``failure_share``, ``errors``; ``ratings``, ``mean``, ``low_ratings``,
        ``complaint_categories``."""
        first, last = _period(args)
        result = findings(engine(), first, last, procedure=args.get("procedure"), kind=args.get("kind"))
        return Response(json.dumps(result, ensure_ascii=False), mimetype="application/json")


class StaffLineSchema(StrictSchema):
    lane = fields.String(
        allow_none=True, validate=validate.Length(min=1, max=200), metadata={"description": "None: every lane"}
    )
    clerks = fields.Integer(required=True, validate=validate.Range(min=0, max=100))
    hours = fields.List(
        fields.Integer(validate=validate.Range(min=0, max=24)),
        validate=validate.Length(equal=2),
        metadata={"description": "from, to (o'clock, office time); default the office's hours"},
    )


class StaffSchema(StrictSchema):
    current = fields.List(
        fields.Nested(StaffLineSchema),
        validate=validate.Length(max=50),
        metadata={"description": "default: the clerks who completed steps in the period, by lane"},
    )
    proposed = fields.List(
        fields.Nested(StaffLineSchema), validate=validate.Length(max=50), metadata={"description": "default: current"}
    )


class ProposalSchema(StrictSchema):
    procedure = fields.String(required=True, validate=validate.Length(min=1, max=200))
    files = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=300)),
        values=fields.String(validate=validate.Length(max=2_000_000)),
        validate=validate.Length(min=1, max=50),
        metadata={"description": "file name -> text: the changed BPMN (and forms), over the current version's files"},
    )
    version = fields.Integer(
        validate=validate.Range(min=1), metadata={"description": "or a stored draft version of the procedure"}
    )


class WhatIfSchema(StrictSchema):
    first = fields.Date(data_key="from", required=True, validate=within_years)
    last = fields.Date(data_key="to", required=True, validate=within_years)
    procedure = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"description": "replay only this procedure's arrivals"}
    )
    proposal = fields.Nested(ProposalSchema)
    staff = fields.Nested(StaffSchema)
    seed = fields.Integer(load_default=1, validate=validate.Range(min=0, max=2**31 - 1))
    tail_days = fields.Integer(
        load_default=10,
        validate=validate.Range(min=0, max=30),
        metadata={"description": "working days run on after the period, without arrivals, so cases finish"},
    )


def scratch_factory(app_settings):
    """Engines on scratch databases, built as the app's own is (the composition root)."""

    def build(url: str, folder: str, clock):
        scratch = replace(app_settings, database_url=url, document_folder=str(Path(folder) / "documents"))
        return bootstrap.build_engine(scratch, clock, role="what-if")

    return build


def _json(value, status: int = 200, headers=None) -> Response:
    return Response(
        json.dumps(value, ensure_ascii=False), status=status, mimetype="application/json", headers=headers or {}
    )


@blp.route("/what-ifs")
class WhatIfs(MethodView):
    @secured(blp, *PROPOSERS, errors=(400, 404, 422))
    @blp.arguments(WhatIfSchema)
    @blp.doc(responses={"202": {"description": "the run, queued", **JSON_DOC}})
    def post(self, body):
        """Run a proposal on the arrivals of a real past period, beside the current procedures: a
        procedure version not deployed (``proposal``: its files over the current version's, or a
        stored draft version) and/or another staffing (``staff.proposed``: clerks per lane and
        hours). Each variant runs in a scratch database; the real cases are only read. Answers at
        once with the run (202); ``GET /api/improvement/what-ifs/{id}`` has its status and, when
        done, the figures side by side and the cases that ended differently
        (docs/improvement.md)."""
        case_engine = engine()
        what_if = runs.prepare(case_engine, body)
        run_id = runs.record(case_engine, what_if, body, current_principal().username)
        RUNNER.submit(runs.execute, case_engine, scratch_factory(settings()), run_id, what_if)
        location = url_for("improvement.WhatIfRun", run_id=run_id)
        return _json(runs.get(case_engine, run_id), 202, {"Location": location})

    @secured(blp, *IMPROVERS)
    @blp.doc(
        responses={
            "200": {
                "description": "the latest runs, newest first (without results)",
                "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}},
            }
        }
    )
    def get(self):
        """The latest what-if runs, newest first, without their results."""
        return _json(runs.latest(engine()))


@blp.route("/what-ifs/<int(max=2147483647):run_id>")
class WhatIfRun(MethodView):
    @secured(blp, *IMPROVERS, errors=(404,))
    @blp.doc(responses={"200": {"description": "the run with its result", **JSON_DOC}})
    def get(self, run_id):
        """One what-if run: queued, running, done (with its result), failed (with the reason) or
        interrupted (its process stopped)."""
        run = runs.get(engine(), run_id)
        if run is None:
            abort(404, message=f"There is no what-if run {run_id}")
        return _json(run)


class EffectArgsSchema(QueryArgs):
    days = fields.Integer(
        validate=validate.Range(min=1, max=90),
        metadata={"description": "length of each period in days (default: from the deploy to now, at most 90)"},
    )


@blp.route("/effects/<string:procedure>/<int(max=2147483647):version>")
class Effect(MethodView):
    @secured(blp, *IMPROVERS, errors=(404, 422))
    @blp.arguments(EffectArgsSchema, location="query")
    @blp.doc(responses={"200": {"description": "the figures before and after the deploy", **JSON_DOC}})
    def get(self, args, procedure, version):
        """The procedure's figures before and after version ``version`` was deployed: two periods
        of the same length on either side of the deploy, the same indicators (SLA compliance and
        late cases, processing working days, notice rounds per case, ratings, each step's time
        open), each with the number of cases it rests on, and each change with whether it is for
        the better."""
        return _json(effect(engine(), procedure, version, args.get("days")))
