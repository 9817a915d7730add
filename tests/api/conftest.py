"""API fixtures: the app on the test database, users of every role and their tokens, the served
app (gunicorn on a loopback port, same database) and a caller that speaks to either."""

from __future__ import annotations

import io
import json as jsonlib
import logging
from dataclasses import dataclass

import pytest
import requests

from api import create_app
from api.observability import JsonFormatter
from engine import accounts
from engine.storage import User

from ..conftest import BPMN
from .server import ServedApp

USERS = {
    # username: (roles, groups)
    "clerk": (["clerk"], ["Clerk"]),
    "clerk2": (["clerk"], ["Clerk"]),
    "records_clerk": (["clerk"], ["Records"]),  # a clerk whose group is no lane of the procedures
    "supervisor": (["supervisor"], ["Supervisor", "Clerk"]),
    "auditor": (["auditor"], []),
    "designer": (["designer"], []),
    "admin": (["admin"], []),
}
# Only this user gets a password: scrypt is slow on purpose, and every other test uses tokens.
PASSWORD_USER = "clerk"
PASSWORD = "correct horse battery staple"
TRANSCRIPT_FILES = sorted(path for path in (BPMN / "household_transcript").iterdir() if path.is_file())


@pytest.fixture
def app(settings, engine):
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app):
    return app.test_client()


def _create_users(engine, users: dict) -> dict[str, str]:
    """Create ``users`` and give each a token without expiry (the served app runs on the real
    clock, the in-process app on the test's manual clock: both accept it)."""
    issued = {}
    with engine.write() as session:
        for username, (roles, groups) in users.items():
            user = accounts.create_user(
                session,
                username,
                roles=roles,
                groups=groups,
                password=PASSWORD if username == PASSWORD_USER else None,
                now=engine.clock.now(),
            )
            issued[username], _ = accounts.issue_token(session, user, now=engine.clock.now(), lifetime=None)
    return issued


@pytest.fixture
def tokens(engine):
    return _create_users(engine, USERS)


@pytest.fixture
def revoked_token(engine, tokens) -> str:
    """A clerk's token that has been revoked."""
    with engine.write() as session:
        user = session.query(User).filter_by(username="clerk").one()
        token, _ = accounts.issue_token(session, user, now=engine.clock.now(), lifetime=None)
        accounts.revoke_token(session, token, now=engine.clock.now())
    return token


@pytest.fixture
def as_user(tokens):
    def headers(username: str, **extra) -> dict:
        return {"Authorization": f"Bearer {tokens[username]}", **extra}

    return headers


# ---------------------------------------------------------------- one interface, two transports
@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes
    raw: object  # the transport's own response (werkzeug TestResponse or requests.Response)

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip()

    @property
    def json(self):
        return jsonlib.loads(self.body)

    def __repr__(self) -> str:
        return f"<{self.status} {self.content_type} {self.body[:300]!r}>"


class Caller:
    """Makes requests with a bearer token by username; the same calls through either transport."""

    transport = "?"

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens

    def headers(self, user: str | None, headers: dict | None) -> dict:
        merged = dict(headers or {})
        if user is not None:
            merged["Authorization"] = f"Bearer {self.tokens.get(user, user)}"
        return merged

    def __call__(
        self,
        method: str,
        path: str,
        *,
        user: str | None = None,
        json=None,
        query: dict | None = None,
        files: list[tuple[str, bytes]] | None = None,
        form: dict | None = None,
        headers: dict | None = None,
        data: bytes | None = None,
        form_files: list[tuple[str, str, bytes]] | None = None,
    ) -> Answer:
        """``files``: (name, content) sent in the multipart field "files"; ``form_files``:
        (field, name, content) for other fields."""
        raise NotImplementedError

    def deploy(self, user: str = "designer", paths=TRANSCRIPT_FILES, path: str = "/api/definitions") -> Answer:
        return self("POST", path, user=user, files=[(p.name, p.read_bytes()) for p in paths])


class FlaskCaller(Caller):
    transport = "flask-test-client"

    def __init__(self, client, tokens) -> None:
        super().__init__(tokens)
        self.client = client

    def __call__(
        self,
        method,
        path,
        *,
        user=None,
        json=None,
        query=None,
        files=None,
        form=None,
        headers=None,
        data=None,
        form_files=None,
    ):
        kwargs = {"method": method, "headers": self.headers(user, headers), "query_string": query}
        if files is not None or form is not None or form_files is not None:
            payload = dict(form or {})
            if files is not None:
                payload["files"] = [(io.BytesIO(content), name) for name, content in files]
            for field, name, content in form_files or []:
                payload.setdefault(field, []).append((io.BytesIO(content), name))
            kwargs.update(data=payload, content_type="multipart/form-data")
        elif json is not None:
            kwargs["json"] = json
        elif data is not None:
            kwargs["data"] = data
        response = self.client.open(path, **kwargs)
        return Answer(response.status_code, dict(response.headers), response.get_data(), response)


class HttpCaller(Caller):
    transport = "gunicorn"

    def __init__(self, base_url: str, tokens) -> None:
        super().__init__(tokens)
        self.base_url = base_url
        self.session = requests.Session()

    def __call__(
        self,
        method,
        path,
        *,
        user=None,
        json=None,
        query=None,
        files=None,
        form=None,
        headers=None,
        data=None,
        form_files=None,
    ):
        kwargs = {"headers": self.headers(user, headers), "params": query, "timeout": 30, "allow_redirects": False}
        if files is not None or form is not None or form_files is not None:
            parts = [("files", (name, content)) for name, content in files or []]
            parts += [(field, (name, content)) for field, name, content in form_files or []]
            kwargs.update(files=parts, data=form)
        elif json is not None:
            kwargs["json"] = json
        elif data is not None:
            kwargs["data"] = data
        response = self.session.request(method, self.base_url + path, **kwargs)
        return Answer(response.status_code, dict(response.headers), response.content, response)


@pytest.fixture
def call(client, tokens) -> FlaskCaller:
    return FlaskCaller(client, tokens)


@pytest.fixture
def serve(database_url, tmp_path, simulator):
    """Start gunicorn on the test's database: ``serve()`` -> a started ServedApp; each one is
    stopped (and its whole process group killed) when the test ends, whatever happened."""
    started: list[ServedApp] = []

    def start(**options) -> ServedApp:
        served = ServedApp(database_url, tmp_path, agency_url=simulator.url, **options)
        started.append(served)
        return served.start()

    yield start
    for served in started:
        served.stop()


@pytest.fixture
def served(serve) -> ServedApp:
    return serve()


@pytest.fixture
def http(served, tokens) -> HttpCaller:
    caller = HttpCaller(served.base_url, tokens)
    yield caller
    caller.session.close()


# ---------------------------------------------------------------- logs
class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines():
    """Every line the app's loggers write as configured (the onestop JSON log, and whatever
    reaches the root logger from libraries), formatted as the server writes them."""
    handler = Lines()
    watched = [logging.getLogger("onestop"), logging.getLogger()]
    for logger in watched:
        logger.addHandler(handler)
    yield handler.lines
    for logger in watched:
        logger.removeHandler(handler)
