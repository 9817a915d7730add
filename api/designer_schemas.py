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
