"""Bearer-token authentication and role checks.

``requires(*roles)`` guards a view: 401 without a valid token, 403 when the caller has none of
the roles. Group (lane) checks for tasks happen in the views, against the task's lane.
"""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, request
from flask_smorest import abort

from engine import accounts
from engine.accounts import Principal

DESIGNER, CLERK, SUPERVISOR, AUDITOR, ADMIN = accounts.ROLES
CASE_WORKERS = (CLERK, SUPERVISOR)
CASE_READERS = (CLERK, SUPERVISOR, AUDITOR, ADMIN)
HISTORY_READERS = (SUPERVISOR, AUDITOR, ADMIN)
ANY_ROLE = accounts.ROLES

BEARER_AUTH = [{"bearerAuth": []}]


def engine():
    return current_app.extensions["onestop_engine"]


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_principal() -> Principal | None:
    if "principal" not in g:
        token = bearer_token()
        principal = None
        if token:
            with engine().read() as session:
                principal = accounts.resolve_token(session, token, now=engine().clock.now())
        g.principal = principal
    return g.principal


def requires(*roles: str):
    """Only callers holding one of ``roles`` may use the view."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            principal = current_principal()
            if principal is None:
                abort(401, message="A valid bearer token is required")
            if not principal.has_any(*roles):
                abort(403, message=f"This needs one of the roles: {', '.join(roles)}")
            return view(*args, **kwargs)

        guarded._onestop_roles = roles  # read by the authorization-matrix test and the docs
        return guarded

    return decorate


def may_work_lane(principal: Principal, lane: str | None) -> bool:
    """Clerks and supervisors work the tasks of their groups (= BPMN lanes)."""
    return principal.has_any(*CASE_WORKERS) and lane is not None and lane in principal.groups
