"""Sign in with a password to get a bearer token; sign out by revoking it."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from engine import accounts

from ..auth import ANY_ROLE, bearer_token, engine
from ..schemas import LoginSchema, TokenSchema
from .common import Blueprint, problems, secured

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Bearer tokens.")


@blp.route("/token")
class Token(MethodView):
    @problems(blp, 400, 401)
    @blp.arguments(LoginSchema)
    @blp.response(201, TokenSchema)
    def post(self, body):
        """Exchange a username and password for a bearer token (valid 12 hours)."""
        with engine().write() as session:
            issued = accounts.login(session, body["username"], body["password"], now=engine().clock.now())
            if issued is None:
                abort(401, message="Unknown user or wrong password")
            token, row, user = issued
            return {
                "token": token,
                "expires_at": row.expires_at,
                "user": {
                    "username": user.username,
                    "display_name": user.display_name,
                    "roles": user.roles,
                    "groups": user.groups,
                },
            }

    @secured(blp, *ANY_ROLE)
    @blp.response(204)
    def delete(self):
        """Revoke the token this request was made with."""
        with engine().write() as session:
            accounts.revoke_token(session, bearer_token(), now=engine().clock.now())
