"""Marshmallow schemas of the audit, report and process-mining endpoints."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from .schemas import PageSchema, Text, UtcDateTime, within_years


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
    redacted = fields.List(
        fields.String(),
        metadata={"description": "payload keys anonymisation removed (their salted digests keep the hash valid)"},
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
    anonymised = fields.Boolean(
        metadata={"description": "personal values were removed: events are listed as they are, not replayed"}
    )
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


# ---------------------------------------------------------------- unmasked reads of personal data
class PersonalDataReadSchema(Schema):
    id = fields.Integer()
    read_at = fields.DateTime()
    reader = fields.String(metadata={"description": "who read the national ID numbers in full"})
    case_id = fields.String()
    case_number = fields.String()
    view = fields.String(metadata={"description": "case, state, events, timeline or task"})
    client = fields.String(allow_none=True, metadata={"description": "the reader's network address"})


class ReadListArgsSchema(QueryArgs):
    reader = Text(validate=validate.Length(min=1, max=200))
    case_id = Text(validate=validate.Length(min=1, max=36))
    case_number = Text(validate=validate.Length(min=1, max=20))
    since = UtcDateTime(validate=within_years)
    until = UtcDateTime(validate=within_years)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ReadPageSchema(PageSchema):
    items = fields.List(fields.Nested(PersonalDataReadSchema))


# ---------------------------------------------------------------- anchors
class TimestampSchema(Schema):
    authority = fields.String(allow_none=True)
    time = fields.String(allow_none=True, metadata={"description": "the time the authority attests"})
    response = fields.String(metadata={"description": "the RFC 3161 response, DER in base64"})
    error = fields.String(metadata={"description": "why the last request failed (retried by `audit timestamp`)"})


class AnchorSchema(Schema):
    day = fields.Date()
    scheme = fields.String(metadata={"description": "merkle-ed25519, or hmac-sha256 for anchors made before"})
    created_at = fields.DateTime()
    created_by = fields.String()
    cases = fields.Integer(metadata={"description": "leaves of the day's tree: cases changed that day"})
    digest = fields.String(metadata={"description": "the day's Merkle root (RFC 6962), hex"})
    days = fields.Integer(allow_none=True, metadata={"description": "leaves of the tree over days, this one included"})
    days_root = fields.String(allow_none=True)
    signing_key_id = fields.String(allow_none=True)
    signature = fields.String(allow_none=True, metadata={"description": "Ed25519 over the signed statement, base64"})
    key_id = fields.String(allow_none=True, metadata={"description": "the HMAC key's fingerprint, if one was added"})
    timestamp = fields.Nested(TimestampSchema, allow_none=True)


class PublicKeySchema(Schema):
    key_id = fields.String()
    algorithm = fields.String()
    public_key = fields.String(metadata={"description": "raw 32-byte Ed25519 public key, base64"})
    valid_from = fields.String()
    valid_until = fields.String(allow_none=True)
    recorded_at = fields.String()
    recorded_by = fields.String()


class PublicKeysSchema(Schema):
    format = fields.String()
    keys = fields.List(fields.Nested(PublicKeySchema))


class SignedRootSchema(Schema):
    day = fields.String()
    cases = fields.Integer()
    root = fields.String()
    days = fields.Integer()
    days_root = fields.String()
    key_id = fields.String()
    signature = fields.String()
    timestamp = fields.Nested(TimestampSchema, allow_none=True)


class InclusionProofSchema(Schema):
    head = fields.Dict(keys=fields.String(), values=fields.Raw())
    leaf_index = fields.Integer()
    path = fields.List(fields.String(), metadata={"description": "sibling hashes from the leaf up, base64"})
    signed_root = fields.Nested(SignedRootSchema)


class CaseProofSchema(Schema):
    format = fields.String()
    timezone = fields.String()
    case = fields.Dict(keys=fields.String(), values=fields.Raw())
    events = fields.List(fields.Dict(keys=fields.String(), values=fields.Raw()))
    proofs = fields.List(fields.Nested(InclusionProofSchema))
    public_keys = fields.Nested(PublicKeysSchema)


class PublicProofArgsSchema(QueryArgs):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))


class ConsistencyArgsSchema(QueryArgs):
    old_days = fields.Integer(
        data_key="from", required=True, validate=validate.Range(min=0), metadata={"description": "earlier tree size"}
    )
    new_days = fields.Integer(
        data_key="to", validate=validate.Range(min=0), metadata={"description": "later tree size (default: now)"}
    )


class ConsistencySchema(Schema):
    from_days = fields.Integer()
    from_root = fields.String()
    to_days = fields.Integer()
    to_root = fields.String()
    proof = fields.List(fields.String())


class WitnessedFileSchema(Schema):
    format = fields.String()
    month = fields.String()
    public_keys = fields.Nested(PublicKeysSchema)
    roots = fields.List(fields.Nested(SignedRootSchema))
    consistency = fields.Nested(ConsistencySchema, allow_none=True)
    key_id = fields.String()
    signature = fields.String()


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
class PeriodArgsSchema(QueryArgs):
    # "from" is a Python keyword: the field is named by data_key.
    first = fields.Date(
        data_key="from", validate=within_years, metadata={"description": "first day (office time); default: this month"}
    )
    last = fields.Date(
        data_key="to", validate=within_years, metadata={"description": "last day, included; default: today"}
    )
    procedure = Text(validate=validate.Length(min=1, max=200))


class ReportArgsSchema(PeriodArgsSchema):
    office = Text(
        validate=validate.Length(min=1, max=12),
        metadata={"description": "one office's figures (default: every office the caller works for)"},
    )
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
    office = Text(
        validate=validate.Length(min=1, max=12),
        metadata={"description": "one office's figures (default: every office the caller works for)"},
    )
    status = fields.String(validate=validate.OneOf(["running", "completed", "cancelled"]))
    received_from = fields.DateTime(validate=within_years)
    received_to = fields.DateTime(validate=within_years)
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=10000))


class OcelSchema(Schema):
    objectTypes = fields.List(fields.Dict())
    eventTypes = fields.List(fields.Dict())
    objects = fields.List(fields.Dict())
    events = fields.List(fields.Dict())
