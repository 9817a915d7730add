"""Schemas of the designer tools: automatic rewrites, lint, diffs between versions."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from engine.definitions import DEFAULT_MAX_STEPS, FIXES

from .schemas import StrictSchema, Text, ValidationResultSchema

MAX_STEPS = 1000  # task completions in one dry run: bounds the work of a looping sample
MAX_MOVE_CASES = 1000  # case ids in one migration request
MAX_MOVE_REASON = 500


class ValidateArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    fix = fields.List(
        fields.String(validate=validate.OneOf(FIXES)),
        metadata={
            "description": "automatic fixes to apply before validating (repeat for several), and return the "
            "rewritten files with their diffs: implicit-splits (a parallel gateway after every task whose "
            "outgoing flows have no condition), assign-lane (the tasks drawn in no lane into the lane "
            "named by `lane`), make-executable (the draft process named by `process` marked executable)"
        },
    )
    lane = Text(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "assign-lane: an existing lane (id or name) or a group to draw a new lane for"},
    )
    process = Text(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "make-executable: the process to mark executable (needed when there are several)"},
    )


class RewriteSchema(Schema):
    file = fields.String()
    fix = fields.String()
    element_id = fields.String()
    element_type = fields.String()
    gateway_id = fields.String(allow_none=True)
    flows = fields.List(fields.String())
    message = fields.String()
    messages = fields.Dict(keys=fields.String(), values=fields.String())


class FixedValidationResultSchema(ValidationResultSchema):
    """The verdict and findings (of the rewritten bundle, when fixes were asked for), the fixes
    offered, the rehearsal of a case start, and with fixes the rewrites, files and diffs."""

    fixes = fields.List(fields.Nested(RewriteSchema))
    files = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "rewritten files (UTF-8 XML) by name; files that needed no change are left out"},
    )
    diffs = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "unified diff of each rewritten file: what the fixes changed in its XML"},
    )


class DiffArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    from_version = fields.Integer(required=True, data_key="from", validate=validate.Range(min=1, max=2147483647))
    to_version = fields.Integer(required=True, data_key="to", validate=validate.Range(min=1, max=2147483647))


class DiffElementSchema(Schema):
    id = fields.String()
    type = fields.String()
    name = fields.String(allow_none=True)
    file = fields.String()
    changes = fields.Dict(
        metadata={
            "description": "per aspect (type, name, attributes, content): from/to, "
            "or the content lines removed and added"
        }
    )


class DiffElementsSchema(Schema):
    added = fields.List(fields.Nested(DiffElementSchema))
    removed = fields.List(fields.Nested(DiffElementSchema))
    changed = fields.List(fields.Nested(DiffElementSchema))


class DiffFilesSchema(Schema):
    added = fields.List(fields.String())
    removed = fields.List(fields.String())
    changed = fields.List(fields.String())


class BundleDiffSchema(Schema):
    files = fields.Nested(DiffFilesSchema)
    elements = fields.Nested(DiffElementsSchema)


class DefinitionDiffSchema(BundleDiffSchema):
    key = fields.String()
    from_version = fields.Integer(data_key="from")
    to_version = fields.Integer(data_key="to")


def _form_samples(tasks: dict) -> None:
    """Each task's sample is form data (an object) or a list of them."""
    for element_id, sample in tasks.items():
        samples = sample if isinstance(sample, list) else [sample]
        if not all(isinstance(item, dict) for item in samples):
            raise ValidationError(f"the sample for task '{element_id}' must be an object or a list of objects")


class DryRunRequestSchema(StrictSchema):
    data = fields.Dict(load_default=dict, metadata={"description": "the case's initial data"})
    tasks = fields.Dict(
        keys=fields.String(),
        load_default=dict,
        validate=_form_samples,
        metadata={
            "description": "sample form data by user/manual task id: an object for every visit, "
            "or a list of objects used in order (loops)"
        },
    )
    services = fields.Dict(
        keys=fields.String(),
        load_default=dict,
        metadata={
            "description": "sample answers by service operation name: one answer for every call, or a list used in order"
        },
    )
    max_steps = fields.Integer(load_default=DEFAULT_MAX_STEPS, validate=validate.Range(min=1, max=MAX_STEPS))


class DryRunResultSchema(Schema):
    completed = fields.Boolean()
    path = fields.List(fields.Dict(), metadata={"description": "finished activities and events, in order"})
    waiting = fields.List(fields.Dict(), metadata={"description": "what the walk stopped in front of, and why"})
    service_calls = fields.List(fields.Dict())
    data = fields.Dict()
    steps = fields.Integer()
    stopped = fields.Dict(allow_none=True, metadata={"description": "element and reason, when the walk stopped early"})


class MovePreviewSchema(Schema):
    key = fields.String()
    from_version = fields.Integer(data_key="from")
    to_version = fields.Integer(data_key="to")
    movable = fields.List(fields.Dict(), metadata={"description": "cases that can move: id, number, waiting_at"})
    blocked = fields.List(
        fields.Dict(),
        metadata={
            "description": "cases that cannot move: id, number, waiting_at, and blocked_by (element, type, reason)"
        },
    )
    truncated = fields.Boolean(metadata={"description": "more running cases than the preview lists"})


class MoveRequestSchema(StrictSchema):
    from_version = fields.Integer(required=True, validate=validate.Range(min=1, max=2147483647))
    to_version = fields.Integer(required=True, validate=validate.Range(min=1, max=2147483647))
    reason = Text(required=True, validate=validate.Length(min=1, max=MAX_MOVE_REASON))
    case_ids = fields.List(
        Text(validate=validate.Length(min=1, max=36)),
        load_default=None,
        validate=validate.Length(min=1, max=MAX_MOVE_CASES),
        metadata={"description": "the cases to move; all running cases of from_version if left out"},
    )


class MovedCaseSchema(Schema):
    case_id = fields.String()
    outcome = fields.String(metadata={"description": "moved, blocked (see blocked_by) or failed (see reason)"})
    reason = fields.String(allow_none=True)
    blocked_by = fields.List(fields.Dict(), metadata={"description": "element_id, element_type, reason"})
    last_event_seq = fields.Integer(allow_none=True)


class MoveResultSchema(Schema):
    key = fields.String()
    from_version = fields.Integer()
    to_version = fields.Integer()
    moved = fields.Integer()
    blocked = fields.Integer()
    failed = fields.Integer()
    cases = fields.List(fields.Nested(MovedCaseSchema))


class ScriptFunctionSchema(Schema):
    name = fields.String()
    signature = fields.String()
    summary = fields.String()
    for_timers = fields.Boolean(metadata={"description": "gives a moment a timer may wait for"})


class OperatorSchema(Schema):
    name = fields.String()
    description = fields.String()
    asynchronous = fields.Boolean(metadata={"description": "a worker calls it later (another agency); retries apply"})


class DesignerExtensionsSchema(Schema):
    script_functions = fields.List(fields.Nested(ScriptFunctionSchema))
    operators = fields.List(fields.Nested(OperatorSchema))
    notice_kinds = fields.List(fields.String(), metadata={"description": "values of notifyApplicant"})
    groups = fields.List(fields.String(), metadata={"description": "groups of active users: the lanes' names"})
    form_formats = fields.List(fields.String(), metadata={"description": "JSON Schema formats beyond the standard"})


class DeployPreviewSchema(ValidationResultSchema):
    key = fields.String(allow_none=True)
    errors = fields.Integer(metadata={"description": "findings that block the deploy"})
    warnings = fields.Integer(metadata={"description": "findings to acknowledge before deploying"})
    current_version = fields.Integer(allow_none=True, metadata={"description": "the latest version, if any"})
    diff = fields.Nested(
        BundleDiffSchema,
        allow_none=True,
        metadata={"description": "what changes against current_version"},
    )
