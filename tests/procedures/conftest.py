"""The agency simulator's controls, shared with the agency tests."""

from tests.agencies.conftest import agencies  # noqa: F401  (a fixture, used by name)
