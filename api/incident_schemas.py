"""Schemas of the incidents API (api/views/incidents.py)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .schemas import CaseChangedSchema, PageArgsSchema, PageSchema, StrictSchema, Text, storable_json

INCIDENT_STATUSES = ("open", "resolved")
INCIDENT_KINDS = ("procedure_error", "resource_limit", "step_limit", "internal_error", "interrupted")


class IncidentArgsSchema(PageArgsSchema):
    status = Text(
        validate=validate.OneOf(INCIDENT_STATUSES), metadata={"description": "open or resolved (default: both)"}
    )
    procedure = Text(validate=validate.Length(max=200))
    element = Text(validate=validate.Length(max=200), metadata={"description": "the BPMN element id"})
    kind = Text(validate=validate.OneOf(INCIDENT_KINDS))
    case_id = Text(validate=validate.Length(max=36))


class IncidentSchema(Schema):
    id = fields.Integer()
    case_id = fields.String()
    case_number = fields.String()
    procedure = fields.String(attribute="procedure_key")
    version = fields.Integer()
    trigger = fields.String(metadata={"description": "what failed: timer (firing the case's timers) or service_result"})
    kind = fields.String(metadata={"description": ", ".join(INCIDENT_KINDS)})
    element_id = fields.String(allow_none=True)
    element_name = fields.String(allow_none=True)
    error_type = fields.String(allow_none=True)
    message = fields.String(metadata={"description": "personal numbers masked"})
    status = fields.String()
    attempts = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime(metadata={"description": "the last failed attempt"})
    resolved_at = fields.DateTime(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True, metadata={"description": "retried, cancelled or case_closed"})
    resolution_reason = fields.String(allow_none=True)


class IncidentPageSchema(PageSchema):
    items = fields.List(fields.Nested(IncidentSchema))


class RetryIncidentSchema(StrictSchema):
    reason = Text(validate=validate.Length(max=2000), load_default=None)
    data = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=200)),
        load_default=None,
        validate=storable_json,
        metadata={"description": "variables to set in the case's open steps first (needs a reason)"},
    )


class IncidentOutcomeSchema(Schema):
    incident = fields.Nested(IncidentSchema)
    case = fields.Nested(CaseChangedSchema, allow_none=True)
