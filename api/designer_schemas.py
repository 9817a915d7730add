"""Schemas of the designer tools: automatic rewrites, lint, diffs between versions."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from engine.bpmn_fixes import FIXES

from .schemas import ValidationResultSchema


class ValidateArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    fix = fields.String(validate=validate.OneOf(FIXES), metadata={
        "description": "implicit-splits: insert a parallel gateway after every task whose several outgoing "
                       "flows have no condition, and return the rewritten files"})


class RewriteSchema(Schema):
    file = fields.String()
    element_id = fields.String()
    element_type = fields.String()
    gateway_id = fields.String()
    flows = fields.List(fields.String())
    message = fields.String()


class FixedValidationResultSchema(ValidationResultSchema):
    """The verdict and findings of the rewritten bundle, the rewrites, and the rewritten files."""

    fixes = fields.List(fields.Nested(RewriteSchema))
    files = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "rewritten files (UTF-8 XML) by name; files that needed no change are left out"})


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
    changes = fields.Dict(metadata={"description": "per aspect (type, name, attributes, content): from/to, "
                                                   "or the content lines removed and added"})


class DiffElementsSchema(Schema):
    added = fields.List(fields.Nested(DiffElementSchema))
    removed = fields.List(fields.Nested(DiffElementSchema))
    changed = fields.List(fields.Nested(DiffElementSchema))


class DiffFilesSchema(Schema):
    added = fields.List(fields.String())
    removed = fields.List(fields.String())
    changed = fields.List(fields.String())


class DefinitionDiffSchema(Schema):
    key = fields.String()
    from_version = fields.Integer(data_key="from")
    to_version = fields.Integer(data_key="to")
    files = fields.Nested(DiffFilesSchema)
    elements = fields.Nested(DiffElementsSchema)
