"""The office calendar (DGPA imports, typhoon-day overrides) and the notifications outbox.

A calendar change moves the due dates of the open cases it affects before the answer returns;
the answer says how many were checked and moved.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import request
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from engine.storage import DevelopmentMessage, offices, queries
from workflows.office_calendar import recompute_due_dates

from ..auth import ADMIN, AUDITOR, CASE_READERS, SUPERVISOR, case_access, current_principal, engine
from ..schemas import Text, unstorable
from .common import Blueprint, secured, settings

blp = Blueprint(
    "calendar",
    __name__,
    url_prefix="/api",
    description="Working-day calendar, its overrides, and the notifications sent.",
)

CALENDAR_EDITORS = (ADMIN, SUPERVISOR)
OUTBOX_READERS = (SUPERVISOR, AUDITOR, ADMIN)
MAX_RANGE_DAYS = 400
# Days a calendar can speak of: a due date computed from a day outside these cannot be stored.
DAY_RANGE = validate.Range(min=date(1900, 1, 1), max=date(2999, 12, 31))


class StrictSchema(Schema):
    class Meta:
        unknown = "raise"


class DaysArgsSchema(StrictSchema):
    start = fields.Date(required=True, data_key="from", validate=DAY_RANGE)
    end = fields.Date(required=True, data_key="to", validate=DAY_RANGE)
    office = Text(validate=validate.Length(min=1, max=12), metadata={"description": "the days of this office's place"})


class DaySchema(Schema):
    day = fields.Date()
    working = fields.Boolean()


class OverrideInSchema(StrictSchema):
    day = fields.Date(required=True, validate=DAY_RANGE)
    working = fields.Boolean(required=True)
    reason = Text(required=True, validate=validate.Length(min=1, max=500))
    region = Text(validate=validate.Length(min=1, max=100), metadata={"description": "only this county/city"})
    district = Text(
        validate=validate.Length(min=1, max=100), metadata={"description": "only this district of the region"}
    )

    @validates_schema
    def district_in_region(self, data, **kwargs):
        if data.get("district") and not data.get("region"):
            raise ValidationError("a district needs its county/city (region)", field_name="district")


class RevocationSchema(StrictSchema):
    override_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))


class OverrideSchema(Schema):
    id = fields.Integer()
    day = fields.Date()
    working = fields.Boolean()
    reason = fields.String()
    region = fields.String(allow_none=True, metadata={"description": "None: everywhere"})
    district = fields.String(allow_none=True)
    created_at = fields.DateTime()
    created_by = fields.String()
    revoked_at = fields.DateTime(allow_none=True)
    revoked_by = fields.String(allow_none=True)


class EditionSchema(Schema):
    id = fields.Integer()
    year = fields.Integer()
    source_name = fields.String()
    sha256 = fields.String()
    days_off = fields.Integer()
    imported_at = fields.DateTime()
    imported_by = fields.String()


class ChangeResultSchema(Schema):
    id = fields.Integer()
    created = fields.Boolean()
    changed_days = fields.List(fields.Date())
    cases_checked = fields.Integer()
    cases_rescheduled = fields.Integer()


class NotificationArgsSchema(StrictSchema):
    case_id = Text(validate=validate.Length(max=36))
    status = fields.String(validate=validate.OneOf(["pending", "sending", "sent", "failed"]))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class NotificationSchema(Schema):
    id = fields.Integer()
    case_id = fields.String(allow_none=True)
    kind = fields.String()
    audience = fields.String()
    channel = fields.String()
    recipient = fields.String()
    subject = fields.String()
    body = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


class DevelopmentMessageSchema(Schema):
    id = fields.Integer()
    notification_id = fields.Integer()
    channel = fields.String()
    recipient = fields.String()
    subject = fields.String()
    body = fields.String()
    delivered_at = fields.DateTime()


def _calendar():
    return engine().catalogue.calendar


def _recompute(changed_days, reason: str, place: tuple | None = None) -> dict:
    result = recompute_due_dates(engine(), changed_days, actor=current_principal().username, reason=reason, place=place)
    return {"cases_checked": result["checked"], "cases_rescheduled": result["rescheduled"]}


@blp.route("/calendar/days")
class CalendarDays(MethodView):
    @secured(blp, *CASE_READERS, errors=(422,))
    @blp.arguments(DaysArgsSchema, location="query")
    @blp.response(200, DaySchema(many=True))
    def get(self, args):
        """Working days and days off between two dates (at most 400 days), as known now."""
        start, end = args["start"], args["end"]
        if end < start or (end - start).days > MAX_RANGE_DAYS:
            abort(
                422,
                message=f"'to' must be on or after 'from', at most {MAX_RANGE_DAYS} days later",
                errors={"to": ["bad range"]},
            )
        place = None
        if args.get("office"):
            with engine().read() as session:
                offices.active_office(session.connection(), args["office"], "office")  # 422 for an unknown one
            place = engine().offices.place(args["office"])
        calendar = _calendar().as_of(engine().clock.now(), place)
        return [
            {"day": start + timedelta(days=n), "working": calendar.is_working_day(start + timedelta(days=n))}
            for n in range((end - start).days + 1)
        ]


UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "one year's DGPA CSV (UTF-8 with BOM: 西元日期,星期,是否放假,備註)",
                        }
                    },
                }
            }
        },
    }
}


@blp.route("/calendar/editions")
class CalendarEditions(MethodView):
    @secured(blp, *CASE_READERS)
    @blp.response(200, EditionSchema(many=True))
    def get(self):
        """Imported official calendars, every edition with who imported it and when."""
        return _calendar().editions()

    @secured(blp, *CALENDAR_EDITORS, errors=(400, 422))
    @blp.doc(**UPLOAD_DOC)
    @blp.response(201, ChangeResultSchema)
    @blp.alt_response(200, schema=ChangeResultSchema, description="the same file was imported before")
    def post(self):
        """Import a DGPA calendar file; a revised edition replaces the year's earlier one."""
        upload = request.files.get("file")
        if upload is None:
            abort(422, message="Upload the calendar in the multipart field 'file'", errors={"file": ["missing"]})
        if unstorable(upload.filename or ""):
            abort(422, message=f"The file name {unstorable(upload.filename)}", errors={"file": ["bad file name"]})
        imported = _calendar().import_dgpa(
            upload.read(),
            source_name=upload.filename or "upload",
            actor=current_principal().username,
            now=engine().clock.now(),
        )
        answer = {
            "id": imported["edition_id"],
            "created": imported["created"],
            "changed_days": imported["changed_days"],
        }
        answer.update(_recompute(imported["changed_days"], f"calendar {imported['year']} imported"))
        return answer, 201 if imported["created"] else 200


@blp.route("/calendar/overrides")
class CalendarOverrides(MethodView):
    @secured(blp, *CASE_READERS)
    @blp.response(200, OverrideSchema(many=True))
    def get(self):
        """Manual overrides (typhoon closures...), revoked ones included."""
        return _calendar().overrides()

    @secured(blp, *CALENDAR_EDITORS, errors=(400, 422))
    @blp.arguments(OverrideInSchema)
    @blp.response(201, ChangeResultSchema)
    def post(self, body):
        """Declare a day closed (e.g. 停班 for a typhoon) or open, everywhere or for one county/city
        (and district); due dates of the open cases there follow."""
        place = tuple(part for part in (body.get("region"), body.get("district")) if part) or None
        _ensure_place_of_caller(place)
        added = _calendar().add_override(
            body["day"],
            body["working"],
            body["reason"],
            actor=current_principal().username,
            now=engine().clock.now(),
            place=place,
        )
        answer = {"id": added["override_id"], "created": True, "changed_days": added["changed_days"]}
        reason = f"calendar override for {body['day']}: {body['reason']}"
        answer.update(_recompute(added["changed_days"], reason, place))
        return answer, 201


def _ensure_place_of_caller(place: tuple | None) -> None:
    """Staff of some offices declare days for the county/city of one of their offices only."""
    reach = current_principal().offices
    if reach is None:
        return
    regions = {(engine().offices.place(code) or (None,))[0] for code in reach}
    if place is None or place[0] not in regions:
        abort(403, message="You declare days only for the county/city of your offices (region)")


@blp.route("/calendar/revocations")
class CalendarRevocations(MethodView):
    @secured(blp, *CALENDAR_EDITORS, errors=(400, 404, 409, 422))
    @blp.arguments(RevocationSchema)
    @blp.response(200, ChangeResultSchema)
    def post(self, body):
        """Revoke an override (it stays on record as revoked, with who and when)."""
        override_id = body["override_id"]
        revoked = _calendar().revoke_override(override_id, actor=current_principal().username, now=engine().clock.now())
        answer = {"id": override_id, "created": False, "changed_days": revoked["changed_days"]}
        answer.update(_recompute(revoked["changed_days"], f"calendar override {override_id} revoked", revoked["place"]))
        return answer


@blp.route("/notifications")
class Notifications(MethodView):
    @secured(blp, *OUTBOX_READERS, errors=(422,))
    @blp.arguments(NotificationArgsSchema, location="query")
    @blp.response(200, NotificationSchema(many=True))
    def get(self, args):
        """The outbox: messages to applicants and supervisors and whether they went out (about the
        cases the caller reaches, and those about no case)."""
        with engine().read() as session:
            return queries.list_notifications(
                session,
                case_id=args.get("case_id"),
                status=args.get("status"),
                limit=args["limit"],
                access=case_access(),
            )


@blp.route("/development/messages")
class DevelopmentMessages(MethodView):
    @secured(blp, *OUTBOX_READERS, errors=(404,))
    @blp.response(200, DevelopmentMessageSchema(many=True))
    def get(self):
        """Messages the development adapter delivered instead of mailing them (not in production)."""
        if settings().notify_mode != "development":
            abort(404, message="The development mailbox is off: messages are really sent")
        with engine().read() as session:
            return list(session.scalars(select(DevelopmentMessage).order_by(DevelopmentMessage.id.desc()).limit(200)))
