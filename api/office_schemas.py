"""Marshmallow schemas of the offices and of a case's transfer to another office."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .casework_schemas import REASON
from .schemas import StrictSchema, Text

HOURS_DOC = 'days (mon..sun) to ["HH:MM", "HH:MM"]: opening and closing; days absent are closed'


class OfficeRecordSchema(Schema):
    code = fields.String()
    name = fields.String()
    region = fields.String(allow_none=True, metadata={"description": "county/city"})
    district = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    counters = fields.Integer()
    opening_hours = fields.Dict(allow_none=True, metadata={"description": HOURS_DOC})
    active = fields.Boolean()


class OfficeWriteSchema(StrictSchema):
    """An office to create, or what changes of one (its place never changes)."""

    name = Text(validate=validate.Length(min=1, max=200))
    region = Text(allow_none=True, validate=validate.Length(max=100))
    district = Text(allow_none=True, validate=validate.Length(max=100))
    address = Text(allow_none=True, validate=validate.Length(max=300))
    phone = Text(allow_none=True, validate=validate.Length(max=50))
    counters = fields.Integer(validate=validate.Range(min=1, max=99))
    opening_hours = fields.Dict(allow_none=True, metadata={"description": HOURS_DOC})
    active = fields.Boolean()


class TransferSchema(StrictSchema):
    office = Text(required=True, validate=validate.Length(min=1, max=12), metadata={"description": "the office's code"})
    reason = Text(required=True, validate=REASON)
