"""Users, roles, groups and bearer tokens.

Passwords are stored as scrypt hashes and tokens as their sha256 only, so neither a database
dump nor a log reveals a credential. Roles say what a user may do; groups (which match BPMN
lanes) say which tasks they work.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import CaseAccess
from engine.errors import Conflict, InvalidInput, NotFound
from engine.storage.models import ApiToken, User

# The operator runs the servers: metrics and the detailed health, no case.
ROLES = ("designer", "clerk", "supervisor", "auditor", "admin", "operator")
TOKEN_LIFETIME = timedelta(hours=12)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the API checks it."""

    user_id: int
    username: str
    roles: frozenset[str]
    groups: frozenset[str]

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def case_access(self) -> CaseAccess:
        """The cases this caller may read and act on (engine.access)."""
        return CaseAccess.of(self.username, self.roles, self.groups)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def password_matches(stored: str | None, password: str) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), **_SCRYPT)
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(
    session: Session,
    username: str,
    *,
    roles: list[str],
    groups: list[str] = (),
    password: str | None = None,
    display_name: str | None = None,
    now: datetime,
) -> User:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise InvalidInput(
            f"Unknown roles: {', '.join(unknown)}",
            errors=[{"field": "roles", "message": f"must be among {', '.join(ROLES)}"}],
        )
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"User {username} already exists", username=username)
    user = User(
        username=username,
        display_name=display_name,
        roles=sorted(set(roles)),
        groups=sorted(set(groups)),
        password_hash=hash_password(password) if password else None,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def issue_token(
    session: Session,
    user: User,
    *,
    now: datetime,
    label: str | None = None,
    lifetime: timedelta | None = TOKEN_LIFETIME,
) -> tuple[str, ApiToken]:
    """A new bearer token for the user; the token itself is returned once and never stored."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_hash=_token_hash(token),
        label=label,
        created_at=now,
        expires_at=now + lifetime if lifetime else None,
    )
    session.add(row)
    session.flush()
    return token, row


def login(session: Session, username: str, password: str, *, now: datetime) -> tuple[str, ApiToken, User] | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not password_matches(user.password_hash, password):
        return None
    token, row = issue_token(session, user, now=now, label="password login")
    return token, row, user


def resolve_token(session: Session, token: str, *, now: datetime) -> Principal | None:
    row = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == _token_hash(token))
    ).first()
    if row is None:
        return None
    api_token, user = row
    if api_token.revoked_at is not None or not user.active:
        return None
    if api_token.expires_at is not None and api_token.expires_at <= now:
        return None
    return Principal(user.id, user.username, frozenset(user.roles or ()), frozenset(user.groups or ()))


def revoke_token(session: Session, token: str, *, now: datetime) -> None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None:
        raise NotFound("No such token")
    row.revoked_at = row.revoked_at or now


def revoke_user_tokens(session: Session, username: str, *, now: datetime) -> int:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"User {username} does not exist", username=username)
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = now
    return len(rows)
