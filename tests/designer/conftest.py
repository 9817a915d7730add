"""The designer tests use the API fixtures (app, client, users and their tokens)."""

from tests.api.conftest import app, as_user, call, client, tokens  # noqa: F401
