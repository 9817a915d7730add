"""Flask application factory: settings, the case engine, blueprints, OpenAPI and the CLI."""

from __future__ import annotations

import atexit
import http

import click
from flask import Flask, send_from_directory
from flask_smorest import Api
from flask_smorest.utils import prepare_response

import bootstrap
from config import Settings, load_settings
from engine import CaseEngine

from . import observability, problems, security
from .cli import register_cli
from .schemas import ProblemSchema

API_TITLE = "onestop"
API_VERSION = "1"


class OnestopApi(Api):
    """flask-smorest's Api with errors documented and answered as application/problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = ProblemSchema
            prepare_response(response, self.spec, problems.PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Default error response", "schema": ProblemSchema}
        prepare_response(default, self.spec, problems.PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)

    def handle_http_exception(self, error):
        return problems.from_http_exception(error)


def _openapi_config(app: Flask) -> None:
    app.config.update(
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Served from the swagger-ui-bundle package: the docs page works without internet.
        OPENAPI_SWAGGER_UI_URL="/api/docs/assets/",
        API_SPEC_OPTIONS={
            "info": {"description": "onestop: one counter receives the case, the office carries it to the end."},
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                    "applicantAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "an applicant's token from POST /api/online/codes/{challenge_id}",
                    },
                }
            },
        },
    )


def _register_docs_assets(app: Flask) -> None:
    import swagger_ui_bundle

    @app.get("/api/docs/assets/<path:filename>")
    def swagger_assets(filename):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)


def create_app(settings: Settings | None = None, *, engine: CaseEngine | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__, instance_relative_config=True)
    app.config["ONESTOP_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = 25 * 1024 * 1024  # uploads: a procedure is a few MB at most
    app.json.ensure_ascii = False
    case_engine = engine or bootstrap.build_engine(settings)
    app.extensions["onestop_engine"] = case_engine

    _openapi_config(app)
    api = OnestopApi(app)
    from .views import auth, calendar, cases, definitions, operations, public, tasks

    for blueprint in (auth.blp, definitions.blp, cases.blp, tasks.blp, public.blp, operations.blp, calendar.blp):
        api.register_blueprint(blueprint)
    from .views import (
        audit,
        casework,
        designer,
        documents,
        followups,
        improvement,
        incidents,
        offices,
        online,
        queue,
        reports,
        surveys,
        vocabulary,
    )

    blueprints = (
        audit.blp,
        casework.blp,
        reports.blp,
        vocabulary.blp,
        documents.blp,
        online.blp,
        designer.blp,
        followups.blp,
        queue.blp,
        surveys.blp,
        incidents.blp,
        offices.blp,
        improvement.blp,
    )
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    from .web import blp as web_blueprint

    app.register_blueprint(web_blueprint)  # the web application (plain Flask: not part of the OpenAPI)
    problems.register(app)
    security.install(app, settings)
    _register_docs_assets(app)
    observability.configure_logging()
    observability.install(app, case_engine)
    register_cli(app)
    _start_background(app, settings, case_engine)
    return app


def _start_background(app: Flask, settings: Settings, engine: CaseEngine) -> None:
    outbox = bootstrap.build_outbox(settings, engine)
    app.extensions["onestop_outbox"] = outbox
    scheduler = bootstrap.start_background(settings, engine, outbox, short_lived=_in_cli_command())
    if scheduler is not None:
        app.extensions["onestop_scheduler"] = scheduler
        atexit.register(scheduler.stop)


def _in_cli_command() -> bool:
    """True inside a ``flask`` command such as ``db upgrade`` (not ``flask run``): those
    processes are short-lived and must not fire timers (nor run before the schema exists)."""
    context = click.get_current_context(silent=True)
    return context is not None and context.info_name != "run"


def get_engine(app: Flask) -> CaseEngine:
    return app.extensions["onestop_engine"]
