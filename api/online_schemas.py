"""Marshmallow schemas of online applications (api/views/online.py) and attached documents
(api/views/documents.py)."""

from __future__ import annotations

import re

from marshmallow import ValidationError, fields, validate, validates_schema

from .schemas import ReceiptSchema, Schema, StrictSchema, Text

MOBILE_PHONE = re.compile(r"^09\d{8}$")  # a Taiwanese mobile number, as the forms ask for it


class CodeRequestSchema(StrictSchema):
    national_id = Text(
        required=True,
        validate=validate.Regexp(r"^[A-Z][12890ABCD]\d{8}$", error="must be a national ID number such as A123456789"),
        metadata={"description": "the applicant's national ID (or resident certificate) number"},
    )
    channel = Text(required=True, validate=validate.OneOf(["sms", "email"]))
    destination = Text(
        required=True,
        validate=validate.Length(min=3, max=254),
        metadata={"description": "the mobile phone number (09xxxxxxxx) or the email address the code goes to"},
    )

    @validates_schema
    def destination_fits_channel(self, data, **kwargs):
        destination = data.get("destination", "")
        if data.get("channel") == "sms" and not MOBILE_PHONE.match(destination):
            raise ValidationError("must be a mobile phone number such as 0912345678", "destination")
        if data.get("channel") == "email":
            try:
                validate.Email()(destination)
            except ValidationError:
                raise ValidationError("must be an email address", "destination") from None


class CodeSentSchema(Schema):
    challenge_id = fields.String(metadata={"description": "send the code to /api/online/codes/{challenge_id}"})
    channel = fields.String()
    destination = fields.String(metadata={"description": "where the code went, partly masked"})
    expires_at = fields.DateTime()


class CodeCheckSchema(StrictSchema):
    code = Text(required=True, validate=validate.Length(min=1, max=12))


class ApplicantSessionSchema(Schema):
    token = fields.String(metadata={"description": "the applicant's bearer token for the online application"})
    national_id = fields.String(metadata={"description": "masked"})
    channel = fields.String()
    destination = fields.String(metadata={"description": "masked"})
    expires_at = fields.DateTime()


class LabelSchema(Schema):
    zh = fields.String()
    en = fields.String()


class OnlineProcedureSchema(Schema):
    procedure = fields.String()
    name = fields.Nested(LabelSchema)
    standard_time = fields.Dict(allow_none=True)
    form = fields.String(metadata={"description": "the counter's form file an online applicant fills"})
    form_schema = fields.Dict(metadata={"description": "its JSON Schema"})
    office_fields = fields.List(
        fields.String(), metadata={"description": "fields the office fills (the verified ID and contact)"}
    )
    prefill = fields.Dict(metadata={"description": "values the office sets for online applications"})
    documents_field = fields.String(allow_none=True, metadata={"description": "the form's list of documents"})
    document_kinds = fields.List(fields.String(), metadata={"description": "documents one may upload"})
    accepted_types = fields.List(fields.String())
    max_file_bytes = fields.Integer()


class DocumentSchema(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "which document it is (a code of the vocabulary)"})
    file_name = fields.String()
    media_type = fields.String(metadata={"description": "sniffed from the content"})
    size = fields.Integer()
    sha256 = fields.String()
    occasion = fields.String(metadata={"description": "application, supplement or attachment"})
    attached_at = fields.DateTime()
    attached_by = fields.String(allow_none=True)


class PublicDocumentSchema(Schema):
    kind = fields.String()
    file_name = fields.String()
    size = fields.Integer()
    occasion = fields.String()
    attached_at = fields.DateTime()


class ApplicationReceiptSchema(Schema):
    number = fields.String()
    access_code = fields.String()
    existing = fields.Boolean()
    receipt = fields.Nested(ReceiptSchema)
    documents = fields.List(fields.Nested(DocumentSchema))
    receipt_sent_to = fields.List(fields.String(), metadata={"description": "where the receipt goes (masked)"})


class SupplementResultSchema(Schema):
    number = fields.String()
    status = fields.String()
    documents = fields.List(fields.Nested(DocumentSchema))
