"""The improvement loop: findings of a period, what-if runs on a past period's real arrivals, and
the measured effect of a deployed change."""

from __future__ import annotations

from datetime import date

from flask import Response, json
from flask.views import MethodView
from marshmallow import fields, validate

from workflows.improvement import KINDS, findings

from ..audit_schemas import QueryArgs
from ..auth import ADMIN, AUDITOR, DESIGNER, SUPERVISOR, engine
from ..schemas import Text, within_years
from .common import Blueprint, secured, zone

blp = Blueprint(
    "improvement",
    __name__,
    url_prefix="/api/improvement",
    description="The improvement loop: findings ranked from a period's cases, what-if runs, effects of deploys.",
)

IMPROVERS = (DESIGNER, SUPERVISOR, AUDITOR, ADMIN)
JSON_DOC = {"content": {"application/json": {"schema": {"type": "object"}}}}


class FindingsArgsSchema(QueryArgs):
    first = fields.Date(
        data_key="from", validate=within_years, metadata={"description": "first day (office time); default: this month"}
    )
    last = fields.Date(
        data_key="to", validate=within_years, metadata={"description": "last day, included; default: today"}
    )
    procedure = Text(validate=validate.Length(min=1, max=200))
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
