"""Users, roles, groups and bearer tokens; applicants verified by a one-time code.

Passwords are stored as scrypt hashes and tokens as their sha256 only, so neither a database
dump nor a log reveals a credential. Roles say what a user may do; groups (which match BPMN
lanes) say which tasks they work.

Applicants have no account. One proves that they reach a phone or an email address by typing
the code sent there (``request_code``, ``check_code``); that opens a short applicant session for
the identity they gave (a national ID, say: checking its form is the caller's business). Codes
are kept as scrypt hashes, expire, allow a few wrong tries and are used once; the code requests
themselves are counted per identity, per destination and per caller to throttle them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from engine.access import GROUP_ROLES, CaseAccess
from engine.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from engine.registries import NotificationPolicy
from engine.storage.models import ApiToken, ApplicantSession, Notification, User, VerificationCode
from engine.storage.offices import check_user_offices, offices_of

# The operator runs the servers: metrics and the detailed health, no case.
# kiosk: a ticket machine in the waiting room, which may only issue queue tickets.
ROLES = ("designer", "clerk", "supervisor", "auditor", "admin", "operator", "kiosk")
TOKEN_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class ScryptCost:
    """scrypt's parameters, stored with each hash (``scrypt$ln=17,r=8,p=1$salt$digest``)."""

    n: int = 2**17  # OWASP's guidance: N=2^17, r=8, p=1 (128 MiB per hash)
    r: int = 8
    p: int = 1

    @property
    def memory(self) -> int:
        return 128 * self.n * self.r * self.p + 1024 * 1024  # what hashlib.scrypt must be allowed

    def weaker_than(self, other: ScryptCost) -> bool:
        return (self.n, self.r, self.p) < (other.n, other.r, other.p)


# Hashes written before the parameters were stored with them ("scrypt$salt$digest").
LEGACY_COST = ScryptCost(n=2**14)
_cost = ScryptCost()
_decoy: dict[ScryptCost, str] = {}


def use_scrypt_cost(n: int) -> None:
    """The cost of new hashes (settings.scrypt_cost); hashes are upgraded to it at sign-in."""
    global _cost
    if n < 2 or n & (n - 1):
        raise ValueError(f"scrypt's cost must be a power of two, not {n}")
    _cost = ScryptCost(n=n)


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the API checks it."""

    user_id: int
    username: str
    roles: frozenset[str]
    groups: frozenset[str]
    offices: frozenset[str] | None = None  # the offices the caller works for; None: every office

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def case_access(self) -> CaseAccess:
        """The cases this caller may read and act on (engine.access)."""
        return CaseAccess.of(self.username, self.roles, self.groups, self.offices)


def _scrypt(password: str, salt: bytes, cost: ScryptCost) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=cost.n, r=cost.r, p=cost.p, maxmem=cost.memory, dklen=64
    )


def hash_password(password: str, cost: ScryptCost | None = None) -> str:
    cost = cost or _cost
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, cost)
    parameters = f"ln={cost.n.bit_length() - 1},r={cost.r},p={cost.p}"
    return f"scrypt${parameters}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def stored_cost(stored: str) -> ScryptCost | None:
    """The parameters a stored hash was made with (None: not a hash this module reads)."""
    parts = (stored or "").split("$")
    if parts[0] != "scrypt" or len(parts) not in (3, 4):
        return None
    if len(parts) == 3:
        return LEGACY_COST
    try:
        values = dict(item.split("=", 1) for item in parts[1].split(","))
        return ScryptCost(n=2 ** int(values["ln"]), r=int(values["r"]), p=int(values["p"]))
    except (KeyError, ValueError):
        return None


def password_matches(stored: str | None, password: str) -> bool:
    cost = stored_cost(stored or "")
    if cost is None:
        return False
    salt, digest = (base64.b64decode(part) for part in stored.split("$")[-2:])
    candidate = _scrypt(password, salt, cost)
    if len(digest) != len(candidate):  # legacy hashes kept scrypt's 64 bytes too; anything else fails
        return False
    return hmac.compare_digest(candidate, digest)


def needs_rehash(stored: str | None) -> bool:
    cost = stored_cost(stored or "")
    return cost is None or cost.weaker_than(_cost)


def _decoy_hash() -> str:
    """A hash no password is checked against in earnest: an unknown user's sign-in costs the same
    scrypt as a known one's, so the answer's timing does not tell which usernames exist."""
    if _cost not in _decoy:
        _decoy[_cost] = hash_password(secrets.token_urlsafe(16))
    return _decoy[_cost]


def known_groups(session: Session) -> list[str]:
    """The groups (BPMN lane names) the active users work in, sorted."""
    return sorted(
        {group for groups in session.scalars(select(User.groups).where(User.active)) for group in groups or ()}
    )


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
    phone: str | None = None,
    offices: list[str] | None = None,
    now: datetime,
) -> User:
    """``offices``: the offices whose cases the user works ("*": every office)."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise InvalidInput(
            f"Unknown roles: {', '.join(unknown)}",
            errors=[{"field": "roles", "message": f"must be among {', '.join(ROLES)}"}],
        )
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"User {username} already exists", username=username)
    offices = check_user_offices(session.connection(), offices)
    user = User(
        username=username,
        display_name=display_name,
        phone=phone,
        roles=sorted(set(roles)),
        groups=sorted(set(groups)),
        offices=offices,
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
    """A token for the user if the password is theirs. Unknown and inactive users and users
    without a password cost one scrypt like everyone else. A hash made with weaker parameters
    than today's is replaced now, while the password is at hand."""
    user = session.scalar(select(User).where(User.username == username))
    stored = user.password_hash if user is not None and user.password_hash else None
    matches = password_matches(stored or _decoy_hash(), password) and stored is not None
    if not matches or not user.active:
        return None
    if needs_rehash(stored):
        user.password_hash = hash_password(password)
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
    return Principal(
        user.id, user.username, frozenset(user.roles or ()), frozenset(user.groups or ()), offices_of(user.offices)
    )


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


# ---------------------------------------------------------------------- applicants
CODE_CHANNELS = ("email", "sms")
CODE_LIFETIME = timedelta(minutes=10)
APPLICANT_SESSION_LIFETIME = timedelta(minutes=30)
MAX_CODE_ATTEMPTS = 5
KEEP_CODE_ROWS = timedelta(days=1)  # long enough for the daily limit, then removed
# A code lives ten minutes and allows five tries: a salted scrypt this strong makes a stolen
# hash useless within its life, and costs a request far less than a password's hash.
_CODE_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def _code_hash(code: str, salt: bytes) -> bytes:
    return hashlib.scrypt(code.encode("ascii", "replace"), salt=salt, **_CODE_SCRYPT)


@dataclass(frozen=True)
class CodeLimits:
    """How many codes may be asked for within ``window`` (and a day): per identity, per phone
    or email address (no one's phone is flooded through many identities) and per caller."""

    window: timedelta = timedelta(minutes=15)
    per_identity: int = 3
    per_destination: int = 3
    per_client: int = 10
    per_identity_per_day: int = 10


@dataclass(frozen=True)
class CodeSent:
    challenge_id: str
    channel: str
    destination: str
    expires_at: datetime


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of a typed code: a session token, or why not (the caller raises it after its
    transaction has committed the counted wrong try)."""

    token: str | None = None
    session: ApplicantSession | None = None
    refusal: Exception | None = None


def request_code(
    session: Session,
    *,
    identity: str,
    channel: str,
    destination: str,
    client: str,
    now: datetime,
    policy: NotificationPolicy,
    limits: CodeLimits = CodeLimits(),
) -> CodeSent:
    """Queue a new code for ``identity`` to ``destination`` in the outbox (the policy's words)."""
    if channel not in CODE_CHANNELS:
        raise InvalidInput(
            f"Codes are sent by {' or '.join(CODE_CHANNELS)}", errors=[{"field": "channel", "message": "unknown"}]
        )
    session.execute(delete(VerificationCode).where(VerificationCode.created_at < now - KEEP_CODE_ROWS))
    session.execute(delete(ApplicantSession).where(ApplicantSession.expires_at < now - KEEP_CODE_ROWS))
    _throttle(session, limits, now, identity=identity, destination=destination, client=client)
    code = f"{secrets.randbelow(10**6):06d}"
    row = VerificationCode(
        id=str(uuid.uuid4()),
        identity=identity,
        channel=channel,
        destination=destination,
        client=client[:64],
        code_hash=_stored_code_hash(code),
        attempts=0,
        created_at=now,
        expires_at=now + CODE_LIFETIME,
    )
    facts = {"code": code, "channel": channel, "destination": destination, "expires_at": row.expires_at}
    drafts = [
        d for d in policy.drafts("verification_code", facts) if (d.channel, d.recipient) == (channel, destination)
    ]
    if not drafts:
        raise InvalidInput(
            "No message is set up to send codes this way", errors=[{"field": "channel", "message": "not available"}]
        )
    session.add(row)
    for draft in drafts:
        session.add(
            Notification(
                dedupe_key=f"verification_code:{row.id}",
                case_id=None,
                kind="verification_code",
                audience=draft.audience,
                channel=draft.channel,
                recipient=draft.recipient[:300],
                subject=draft.subject[:300],
                body=draft.body,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                ephemeral=True,
            )
        )
    session.flush()
    return CodeSent(row.id, channel, destination, row.expires_at)


def _stored_code_hash(code: str) -> str:
    salt = secrets.token_bytes(16)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(_code_hash(code, salt)).decode()


def _code_matches(stored: str, code: str) -> bool:
    _, salt, digest = stored.split("$")
    return hmac.compare_digest(_code_hash(code, base64.b64decode(salt)), base64.b64decode(digest))


def _throttle(session: Session, limits: CodeLimits, now: datetime, **keys: str) -> None:
    day = timedelta(days=1)
    checks = [
        ("identity", limits.per_identity, limits.window, "this ID number"),
        ("destination", limits.per_destination, limits.window, "this phone number or email address"),
        ("client", limits.per_client, limits.window, "your connection"),
        ("identity", limits.per_identity_per_day, day, "this ID number today"),
    ]
    for column, limit, window, what in checks:
        count, oldest = session.execute(
            select(func.count(), func.min(VerificationCode.created_at)).where(
                getattr(VerificationCode, column) == keys[column], VerificationCode.created_at > now - window
            )
        ).one()
        if count >= limit:
            wait = max(1, math.ceil((oldest + window - now).total_seconds()))
            raise TooManyRequests(
                f"Too many codes were asked for {what}; try again in {-(-wait // 60)} minutes",
                retry_after=wait,
                limit=column,
            )


def check_code(session: Session, challenge_id: str, code: str, *, now: datetime) -> CodeCheck:
    """Open an applicant session if ``code`` is the one sent for ``challenge_id``, unused and
    unexpired; a wrong code counts against the challenge's tries."""
    row = session.get(VerificationCode, challenge_id)
    if row is None:
        return CodeCheck(refusal=NotFound("No such code was sent; ask for a new code"))
    if row.used_at is not None:
        return CodeCheck(refusal=Conflict("This code has already been used; ask for a new code"))
    if row.expires_at <= now:
        return CodeCheck(
            refusal=Conflict("The code has expired; ask for a new code", expired_at=row.expires_at.isoformat())
        )
    if row.attempts >= MAX_CODE_ATTEMPTS:
        return CodeCheck(refusal=Conflict("Too many wrong codes were typed; ask for a new code"))
    if not _code_matches(row.code_hash, (code or "").strip()):
        left = MAX_CODE_ATTEMPTS - row.attempts - 1
        session.execute(
            update(VerificationCode).where(VerificationCode.id == row.id).values(attempts=VerificationCode.attempts + 1)
        )
        message = f"does not match the code sent; {left} tries left" if left else "does not match; ask for a new code"
        return CodeCheck(
            refusal=InvalidInput(f"The code {message}", errors=[{"field": "code", "message": message}], tries_left=left)
        )
    # Used once, even by two requests racing with the right code: only one update finds it unused.
    used = session.execute(
        update(VerificationCode)
        .where(VerificationCode.id == row.id, VerificationCode.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if used != 1:
        return CodeCheck(refusal=Conflict("This code has already been used; ask for a new code"))
    token = secrets.token_urlsafe(32)
    applicant = ApplicantSession(
        token_hash=_token_hash(token),
        identity=row.identity,
        channel=row.channel,
        destination=row.destination,
        created_at=now,
        expires_at=now + APPLICANT_SESSION_LIFETIME,
    )
    session.add(applicant)
    session.flush()
    return CodeCheck(token=token, session=applicant)


def resolve_applicant(session: Session, token: str, *, now: datetime) -> ApplicantSession | None:
    row = session.scalar(select(ApplicantSession).where(ApplicantSession.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return row


def end_applicant_session(session: Session, token: str, *, now: datetime) -> None:
    row = session.scalar(select(ApplicantSession).where(ApplicantSession.token_hash == _token_hash(token)))
    if row is not None:
        row.revoked_at = row.revoked_at or now


def worker_groups(session: Session) -> frozenset[str]:
    """The groups (BPMN lanes) some active clerk or supervisor works."""
    rows = session.execute(select(User.roles, User.groups).where(User.active.is_(True)))
    return frozenset(group for roles, groups in rows if set(roles or ()) & GROUP_ROLES for group in groups or ())
