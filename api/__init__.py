"""Flask application factory: settings, the case engine, blueprints and the CLI."""
from __future__ import annotations

from flask import Flask

from config import Settings, load_settings
from engine.app import CaseEngine
from engine.clock import Clock

import workflows

from .cli import register_cli


def build_engine(settings: Settings, clock: Clock | None = None) -> CaseEngine:
    functions, operators = workflows.build_registries()
    return CaseEngine(
        settings.database_url,
        clock=clock,
        script_functions=functions,
        operators=operators,
        catalogue=workflows.HouseholdCatalogue(),
        script_timeout_seconds=settings.script_timeout_seconds,
        local_timezone=settings.timezone,
    )


def create_app(settings: Settings | None = None, *, engine: CaseEngine | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__, instance_relative_config=True)
    app.config["ONESTOP_SETTINGS"] = settings
    app.extensions["onestop_engine"] = engine or build_engine(settings)
    register_cli(app)
    return app


def get_engine(app: Flask) -> CaseEngine:
    return app.extensions["onestop_engine"]
