"""Marshmallow schemas of the audit, report and process-mining endpoints."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from .schemas import PageSchema, Text, within_years


class QueryArgs(Schema):
    class Meta:
        unknown = EXCLUDE


# ---------------------------------------------------------------- timeline
class DataChangeSchema(Schema):
    path = fields.String()
    change = fields.String(validate=validate.OneOf(["added", "removed", "changed"]))
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)


class FinishedStepSchema(Schema):
    element_id = fields.String()
    name = fields.String(allow_none=True)


class TimelineEntrySchema(Schema):
    seq = fields.Integer()
    type = fields.String()
    occurred_at = fields.DateTime()
    actor = fields.String(allow_none=True)
    command_id = fields.String()
    element_id = fields.String(allow_none=True)
    element_name = fields.String(allow_none=True)
    element_type = fields.String(allow_none=True)
    payload = fields.Dict(
        metadata={"description": "as recorded; personal numbers masked unless the caller is an auditor"}
    )
    changes = fields.List(
        fields.Nested(DataChangeSchema), metadata={"description": "what the event's command changed in the case data"}
    )
    finished_steps = fields.List(fields.Nested(FinishedStepSchema))
    hash = fields.String()


class DivergenceSchema(Schema):
    seq = fields.Integer()
    reason = fields.String()


class TimelineSchema(Schema):
    case_id = fields.String()
    number = fields.String()
    procedure = fields.String()
    definition_id = fields.Integer()
    status = fields.String()
    events = fields.Integer()
    masked = fields.Boolean()
    divergence = fields.Nested(DivergenceSchema, allow_none=True)
    entries = fields.List(fields.Nested(TimelineEntrySchema))


# ---------------------------------------------------------------- verification runs
class VerifyRequestSchema(Schema):
    class Meta:
        unknown = "raise"

    case_id = Text(
        validate=validate.Length(min=1, max=36),
        metadata={"description": "verify this case; leave out to verify all cases"},
    )


class FailureSchema(Schema):
    case_id = fields.String()
    number = fields.String()
    first_divergent_seq = fields.Integer(allow_none=True)
    problems = fields.List(fields.String())


class FirstFailureSchema(Schema):
    case_id = fields.String(allow_none=True)
    number = fields.String(allow_none=True)
    first_divergent_seq = fields.Integer(allow_none=True)
    problem = fields.String(allow_none=True)


class VerificationRunSchema(Schema):
    id = fields.Integer()
    started_at = fields.DateTime()
    finished_at = fields.DateTime()
    actor = fields.String()
    scope = fields.String(validate=validate.OneOf(["case", "all"]))
    case_id = fields.String(allow_none=True)
    cases_checked = fields.Integer()
    cases_failed = fields.Integer()
    ok = fields.Boolean()
    first_failure = fields.Nested(FirstFailureSchema, allow_none=True)
    failures = fields.List(fields.Nested(FailureSchema))


class RunListArgsSchema(QueryArgs):
    case_id = Text(validate=validate.Length(min=1, max=36))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class RunPageSchema(PageSchema):
    items = fields.List(fields.Nested(VerificationRunSchema))


# ---------------------------------------------------------------- anchors
class AnchorSchema(Schema):
    day = fields.Date()
    created_at = fields.DateTime()
    created_by = fields.String()
    cases = fields.Integer()
    digest = fields.String()
    key_id = fields.String()


class AnchorVerifyArgsSchema(QueryArgs):
    since = fields.Date(
        validate=within_years, metadata={"description": "check anchors from this day on (default: all)"}
    )


class AnchorProblemSchema(Schema):
    day = fields.String()
    message = fields.String()
    case_id = fields.String()
    seq = fields.Integer()


class AnchorVerificationSchema(Schema):
    anchors = fields.Integer()
    heads_checked = fields.Integer()
    heads_archived = fields.Integer()
    ok = fields.Boolean()
    problems = fields.List(fields.Nested(AnchorProblemSchema))


# ---------------------------------------------------------------- reports
class ReportArgsSchema(QueryArgs):
    # "from" is a Python keyword: the field is named by data_key.
    first = fields.Date(
        data_key="from", validate=within_years, metadata={"description": "first day (office time); default: this month"}
    )
    last = fields.Date(
        data_key="to", validate=within_years, metadata={"description": "last day, included; default: today"}
    )
    procedure = Text(validate=validate.Length(min=1, max=200))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class ReportSchema(Schema):
    report = fields.String()
    title = fields.String()
    generated_at = fields.DateTime()
    period = fields.Dict(keys=fields.String(), values=fields.String())
    procedure = fields.String(allow_none=True)
    columns = fields.List(fields.String())
    rows = fields.List(fields.Dict())
    versions = fields.List(fields.Dict(), metadata={"description": "steps report: each element by version"})


class ReportInfoSchema(Schema):
    name = fields.String()
    title = fields.String()
    columns = fields.List(fields.String())


# ---------------------------------------------------------------- process mining
class MiningArgsSchema(QueryArgs):
    procedure = Text(validate=validate.Length(min=1, max=200))
    status = fields.String(validate=validate.OneOf(["running", "completed", "cancelled"]))
    received_from = fields.DateTime(validate=within_years)
    received_to = fields.DateTime(validate=within_years)
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=10000))


class OcelSchema(Schema):
    objectTypes = fields.List(fields.Dict())
    eventTypes = fields.List(fields.Dict())
    objects = fields.List(fields.Dict())
    events = fields.List(fields.Dict())
