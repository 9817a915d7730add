"""Marshmallow schemas of case work: notes, the case's activity, supplements, withdrawal, the
responsible officer, assignments, drafts and colleagues."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from .schemas import CHANNELS, StrictSchema, Text, storable_json

REASON = validate.Length(min=1, max=2000)


class NoteSchema(StrictSchema):
    text = Text(required=True, validate=REASON)


class NoteAddedSchema(Schema):
    case_id = fields.String()
    seq = fields.Integer(metadata={"description": "the note's place in the case's history"})


class SupplementSchema(StrictSchema):
    documents = fields.List(
        Text(validate=validate.Length(min=1, max=100)),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "codes of the documents that came, each among those missing"},
    )
    channel = Text(load_default="counter", validate=validate.OneOf(CHANNELS))
    note = Text(validate=validate.Length(max=2000), allow_none=True)


class ReasonSchema(StrictSchema):
    reason = Text(required=True, validate=REASON)


class OfficerChangeSchema(StrictSchema):
    officer = Text(required=True, validate=validate.Length(min=1, max=100))
    reason = Text(required=True, validate=REASON)


class AssignTaskSchema(StrictSchema):
    assignee = Text(required=True, validate=validate.Length(min=1, max=100))


class DraftSchema(StrictSchema):
    data = fields.Dict(required=True, validate=storable_json)


class DraftSavedSchema(Schema):
    task_id = fields.String()
    saved_at = fields.DateTime()


class StaffArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    group = Text(validate=validate.Length(max=200), metadata={"description": "a BPMN lane: its colleagues only"})


class ColleagueSchema(Schema):
    username = fields.String()
    name = fields.String()
    groups = fields.List(fields.String())


class ActivitySchema(Schema):
    """One event of the case as clerks read it: personal numbers masked, the form data left out
    (the case data shows it), the element and the people by name."""

    seq = fields.Integer()
    type = fields.String()
    occurred_at = fields.DateTime()
    actor = fields.String(allow_none=True)
    actor_name = fields.String(allow_none=True)
    element_id = fields.String(allow_none=True)
    element_name = fields.String(allow_none=True)
    details = fields.Dict(metadata={"description": "what clerks need of the event (a note's text, the documents)"})
