"""Bearer-token authentication and role checks.

``requires(*roles)`` guards a view: 401 without a valid token, 403 when the caller has none of
the roles. Group (lane) checks for tasks happen in the views, against the task's lane.

Every request resolves its token against the database (a revoked token is refused at once, by
every server process), with one prebuilt Core statement: it runs on each call, so it stays cheap.
"""

from __future__ import annotations

import weakref
from contextlib import contextmanager
from functools import wraps

from flask import current_app, g, request
from flask_smorest import abort
from sqlalchemy import bindparam, select

from engine import Principal, accounts
from engine.storage import ApiToken, DirectStatement, User, offices, read_only

DESIGNER, CLERK, SUPERVISOR, AUDITOR, ADMIN, OPERATOR, KIOSK = accounts.ROLES
CASE_WORKERS = (CLERK, SUPERVISOR)
CASE_READERS = (CLERK, SUPERVISOR, AUDITOR, ADMIN)
HISTORY_READERS = (SUPERVISOR, AUDITOR, ADMIN)
ANY_ROLE = accounts.ROLES

BEARER_AUTH = [{"bearerAuth": []}]


def engine():
    return current_app.extensions["onestop_engine"]


_read_only_binds: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@contextmanager
def read_connection():
    """A Core connection for a few plain reads (a snapshot, no ORM session): the views' hot path."""
    database = engine().db
    bind = _read_only_binds.get(database)
    if bind is None:
        bind = _read_only_binds[database] = read_only(database)
    with bind.connect() as connection:
        yield connection


# Run on the driver directly (engine.direct_sql): it runs on every request.
_PRINCIPAL_BY_TOKEN_HASH = DirectStatement(
    select(
        User.id,
        User.username,
        User.roles,
        User.groups,
        User.offices,
        User.active,
        ApiToken.revoked_at,
        ApiToken.expires_at,
    )
    .join_from(ApiToken, User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def resolve_token(token: str) -> Principal | None:
    """The caller of a token: unknown, revoked, expired tokens and inactive users are nobody
    (the same rules as engine.accounts.resolve_token, without an ORM session)."""
    with read_connection() as connection:
        row = _PRINCIPAL_BY_TOKEN_HASH.first(connection, {"token_hash": accounts._token_hash(token)})
    if row is None or row["revoked_at"] is not None or not row["active"]:
        return None
    if row["expires_at"] is not None and row["expires_at"] <= engine().clock.now():
        return None
    return Principal(
        row["id"],
        row["username"],
        frozenset(row["roles"] or ()),
        frozenset(row["groups"] or ()),
        offices.offices_of(row["offices"]),
    )


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
            principal = resolve_token(token)
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


def case_access():
    """The cases the caller may read and act on (engine.access.CaseAccess)."""
    return current_principal().case_access


def may_work_lane(principal: Principal, lane: str | None) -> bool:
    """Clerks and supervisors work the tasks of their groups (= BPMN lanes)."""
    return principal.has_any(*CASE_WORKERS) and lane is not None and lane in principal.groups
