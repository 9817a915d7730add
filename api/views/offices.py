"""The offices (organisational units) and the transfer of a case to another office (跨區通辦)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from engine import commands as cmd
from engine.storage import offices

from ..auth import ADMIN, CASE_READERS, SUPERVISOR, case_access, current_principal, engine
from ..office_schemas import OfficeRecordSchema, OfficeWriteSchema, TransferSchema
from ..schemas import CaseChangedSchema
from .cases import changed_dict
from .common import Blueprint, secured

blp = Blueprint(
    "offices",
    __name__,
    url_prefix="/api",
    description="Offices: where cases are received and worked, and transfers between them (跨區通辦).",
)


@blp.route("/offices")
class Offices(MethodView):
    @secured(blp, *CASE_READERS)
    @blp.response(200, OfficeRecordSchema(many=True))
    def get(self):
        """Every office, by code (the directory: staff of any office may send a case to another)."""
        with engine().read() as session:
            return offices.list_offices(session.connection())


@blp.route("/offices/<string:code>")
class OneOffice(MethodView):
    @secured(blp, *CASE_READERS, errors=(404,))
    @blp.response(200, OfficeRecordSchema)
    def get(self, code):
        """One office."""
        with engine().read() as session:
            return offices.get_office(session.connection(), code)

    @secured(blp, ADMIN, errors=(400, 409))
    @blp.arguments(OfficeWriteSchema)
    @blp.response(200, OfficeRecordSchema)
    def put(self, body, code):
        """Create the office, or change its name, address, phone, counters, opening hours, or close
        it (``active``: false). Its place (county/city, district) is fixed: 409 on a change. An
        admin of some offices changes only those."""
        reach = current_principal().offices
        if reach is not None and code not in reach:
            abort(403, message=f"You do not work for office {code}")
        with engine().write() as session:
            return offices.save_office(session.connection(), {**body, "code": code}, now=engine().clock.now())


@blp.route("/cases/<string:case_id>/transfer")
class CaseTransfer(MethodView):
    @secured(blp, SUPERVISOR, errors=(400, 404, 409))
    @blp.arguments(TransferSchema)
    @blp.response(200, CaseChangedSchema)
    def post(self, body, case_id):
        """Send a running case to another office (跨區通辦): its open tasks go there, its SLA clock
        keeps running from receipt (by that office's calendar); recorded in its history."""
        return changed_dict(
            engine().handle(
                cmd.TransferCase(
                    case_id, body["office"], body["reason"], actor=current_principal().username, access=case_access()
                )
            )
        )
