"""The counter queue (號碼牌): the kiosk issues tickets, clerks call them to their counter and
serve them, the waiting room's display shows the board (numbers only, no sign-in needed)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from engine import NotFound
from engine.storage import queries

from ..auth import ADMIN, CLERK, KIOSK, SUPERVISOR, case_access, current_principal, engine
from ..schemas import StrictSchema, Text
from .common import Blueprint, secured

blp = Blueprint(
    "queue",
    __name__,
    url_prefix="/api/queue",
    description="The counter queue (號碼牌): tickets, calls to counters, the waiting room's board.",
)

COUNTER_STAFF = (CLERK, SUPERVISOR, ADMIN)


class ServiceKindSchema(Schema):
    service = fields.String()
    prefix = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    procedures = fields.List(fields.String())


class TicketSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    service = fields.String()
    status = fields.String(metadata={"description": "waiting, called, serving, done or no_show"})
    day = fields.Date()
    issued_at = fields.DateTime()
    called_at = fields.DateTime(allow_none=True)
    calls = fields.Integer()
    counter = fields.String(allow_none=True)
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    served_by = fields.String(allow_none=True)
    case_ids = fields.List(fields.String())
    waiting_ahead = fields.Integer(allow_none=True, metadata={"description": "waiting tickets of its kind before it"})
    waiting_minutes = fields.Float(allow_none=True)
    service_minutes = fields.Float(allow_none=True)


class IssueTicketSchema(StrictSchema):
    service = Text(required=True, validate=validate.Length(min=1, max=40))


class CallSchema(StrictSchema):
    counter = Text(required=True, validate=validate.Length(min=1, max=20))
    services = fields.List(Text(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=20))


class LinkCaseSchema(StrictSchema):
    case_number = Text(required=True, validate=validate.Length(min=1, max=20))


class TicketListArgsSchema(Schema):
    day = fields.Date(metadata={"description": "office-local day (default: today)"})


class BoardSchema(Schema):
    day = fields.Date()
    now_serving = fields.List(fields.Dict())
    services = fields.List(fields.Dict())


def _kinds() -> list[dict]:
    return [
        {"service": s.key, "prefix": s.prefix, "name_zh": s.name_zh, "name_en": s.name_en, "procedures": s.procedures}
        for s in engine().queue.services.all()
    ]


@blp.route("/services")
class Services(MethodView):
    @blp.response(200, ServiceKindSchema(many=True))
    def get(self):
        """The kinds of service a ticket can be drawn for (the kiosk's buttons)."""
        return _kinds()


@blp.route("/board")
class Board(MethodView):
    @blp.response(200, BoardSchema)
    def get(self):
        """The waiting room's display: the number each counter serves now, the next numbers and how
        many wait per kind of service. Numbers only: nothing about the visitors."""
        return engine().queue.board()


@blp.route("/tickets")
class Tickets(MethodView):
    @secured(blp, KIOSK, *COUNTER_STAFF, errors=(400, 409, 422))
    @blp.arguments(IssueTicketSchema)
    @blp.response(201, TicketSchema)
    def post(self, body):
        """Issue a ticket for a kind of service (the kiosk, or a clerk for a visitor)."""
        return engine().queue.issue(body["service"], actor=current_principal().username)

    @secured(blp, *COUNTER_STAFF, errors=(422,))
    @blp.arguments(TicketListArgsSchema, location="query")
    @blp.response(200, TicketSchema(many=True))
    def get(self, args):
        """The tickets of a day, in the order they were issued."""
        return engine().queue.tickets(args.get("day") or engine().queue.today())


@blp.route("/calls")
class Calls(MethodView):
    @secured(blp, *COUNTER_STAFF, errors=(400, 409, 422))
    @blp.arguments(CallSchema)
    @blp.response(200, TicketSchema)
    @blp.alt_response(204, description="nobody is waiting")
    def post(self, body):
        """Call the longest-waiting ticket (of the given kinds, or any) to your counter."""
        ticket = engine().queue.call_next(body["counter"], current_principal().username, body.get("services"))
        if ticket is None:
            return "", 204
        return ticket


def _ticket_action(name: str, doc: str):
    class Action(MethodView):
        @secured(blp, *COUNTER_STAFF, errors=(404, 409))
        @blp.response(200, TicketSchema)
        def post(self, ticket_id):
            return getattr(engine().queue, name)(ticket_id, current_principal().username)

    Action.post.__doc__ = doc
    Action.__name__ = f"Ticket{name.title().replace('_', '')}"
    return Action


blp.route("/tickets/<int(max=2147483647):ticket_id>/start")(
    _ticket_action("start", "The visitor is at the counter: the service begins.")
)
blp.route("/tickets/<int(max=2147483647):ticket_id>/finish")(_ticket_action("finish", "The visit is done."))
blp.route("/tickets/<int(max=2147483647):ticket_id>/no-show")(_ticket_action("no_show", "Called, and nobody came."))


@blp.route("/tickets/<int(max=2147483647):ticket_id>/cases")
class TicketCases(MethodView):
    @secured(blp, *COUNTER_STAFF, errors=(400, 404, 409, 422))
    @blp.arguments(LinkCaseSchema)
    @blp.response(200, TicketSchema)
    def post(self, body, ticket_id):
        """Link a case the visit produced (by its number) to the ticket."""
        with engine().read() as session:
            try:
                case = queries.get_case_by_number(session, body["case_number"], case_access())
            except NotFound:
                abort(404, message=f"No case {body['case_number']}")
        return engine().queue.link_case(ticket_id, case.id, actor=current_principal().username)
