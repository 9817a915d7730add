"""Shared fixtures: a real database per test (SQLite by default, PostgreSQL when
ONESTOP_TEST_DATABASE_URL points at one), a manual clock, and an engine wired like the app."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from bootstrap import build_engine
from config import Settings
from engine import ManualClock, files_from_folder
from engine import commands as cmd
from engine.storage import DEFAULT_OFFICE, METADATA, upgrade
from workflows.agencies import AgencySettings
from workflows.agencies.simulator.server import SimulatorServer

ROOT = Path(__file__).resolve().parent.parent
BPMN = ROOT / "bpmn"
POSTGRES_URL = os.environ.get("ONESTOP_TEST_DATABASE_URL")
# 2026-03-02 is a Monday; 09:00 in Taipei.
OFFICE_MORNING = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def pytest_report_header(config):
    return f"onestop database: {POSTGRES_URL or 'SQLite (per-test file)'}"


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL, run only the tests that reach the database (through `database_url`): the
    others (diagram validation, forms, the sandbox, Merkle proofs...) do the same work on either
    database and have run on SQLite already. Tests marked `sqlite_only` are long ones whose
    shorter variant covers PostgreSQL (the simulated month: its six days run on both)."""
    if not POSTGRES_URL:
        return
    without_database = [
        item
        for item in items
        if "database_url" not in getattr(item, "fixturenames", ()) or item.get_closest_marker("sqlite_only")
    ]
    if without_database:
        config.hook.pytest_deselected(items=without_database)
        deselected = set(map(id, without_database))
        items[:] = [item for item in items if id(item) not in deselected]


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgres_schema() -> str | None:
    if POSTGRES_URL:
        upgrade(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def database_url(request, tmp_path) -> str:
    """A migrated, empty database for this test."""
    if POSTGRES_URL:
        request.getfixturevalue("_postgres_schema")
        _truncate_postgres(POSTGRES_URL)
        return POSTGRES_URL
    path = tmp_path / "onestop.db"
    shutil.copy(request.getfixturevalue("_sqlite_template"), path)
    return f"sqlite:///{path}"


def _truncate_postgres(url: str) -> None:
    admin = create_engine(url)
    with admin.begin() as connection:
        tables = ", ".join(table.name for table in METADATA.sorted_tables)
        # case_events refuses TRUNCATE (the append-only guard of migration 0004). The tables'
        # owner lifts the guard inside this transaction only; it is back when the data is gone.
        connection.execute(text("ALTER TABLE case_events DISABLE TRIGGER USER"))
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        connection.execute(text("ALTER TABLE case_events ENABLE TRIGGER USER"))
        # What the migrations seed, as a freshly migrated database (SQLite's template) has it.
        connection.execute(
            text("INSERT INTO offices (code, name, created_at) VALUES (:code, :code, current_timestamp)"),
            {"code": DEFAULT_OFFICE},
        )
    admin.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(OFFICE_MORNING)


@pytest.fixture(scope="session")
def agency_simulator():
    """The simulated agencies over real HTTP on a loopback port, for the whole session."""
    server = SimulatorServer().start()
    yield server
    server.stop()


@pytest.fixture
def simulator(agency_simulator):
    """The simulator with no faults, counters at zero and no idempotency keys remembered."""
    requests.post(agency_simulator.url + "/_admin/reset", timeout=5).raise_for_status()
    return agency_simulator


# Long enough for the simulator to answer on a loaded CI machine (a test that times out on purpose
# holds the agency past it, and waits this long once).
AGENCY_TIMEOUT_SECONDS = 5.0


@pytest.fixture
def agency_settings(simulator) -> AgencySettings:
    return AgencySettings.all_at(simulator.url, timeout_seconds=AGENCY_TIMEOUT_SECONDS)


@pytest.fixture
def settings(database_url, agency_settings, tmp_path) -> Settings:
    # scrypt at the former cost: the suite hashes many passwords (tests/security checks the real one).
    return Settings(
        environment="test",
        database_url=database_url,
        script_timeout_seconds=1.0,
        agencies=agency_settings,
        document_folder=str(tmp_path / "documents"),  # where the served app of the test keeps them too
        scrypt_cost=2**14,
    )


@pytest.fixture
def engine(settings, clock):
    case_engine = build_engine(settings, clock)
    yield case_engine
    case_engine.dispose()


@pytest.fixture
def transcript(engine):
    """The household transcript procedure, deployed."""
    return engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / "household_transcript"), actor="designer"))


def cli_of(app):
    """Runs ``flask --app api ...`` commands of ``app``; ``ok`` asserts exit code 0."""
    runner = app.test_cli_runner()

    def run(*args, ok=True):
        result = runner.invoke(args=list(args))
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return run


@pytest.fixture
def cli(settings, engine):
    """The CLI on the test database."""
    from api import create_app

    return cli_of(create_app(settings, engine=engine))


@pytest.fixture
def signing_key_pem() -> bytes:
    """The office's Ed25519 private key of this test."""
    from engine.audit import generate_private_pem

    return generate_private_pem()


@pytest.fixture
def signer(signing_key_pem):
    """The office's signer of this test (the key in memory only)."""
    from engine.audit import Signer

    return Signer.from_pem(signing_key_pem)


@pytest.fixture
def signing_key_file(tmp_path, signing_key_pem):
    """The private key as the PEM file ONESTOP_SIGNING_KEY_FILE names."""
    path = tmp_path / "signing-key.pem"
    path.write_bytes(signing_key_pem)
    return path
