"""Health of the server and what it depends on."""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import text

from ..auth import engine
from ..schemas import HealthSchema
from .common import Blueprint

blp = Blueprint("operations", __name__, url_prefix="/api", description="Operations.")


def check_database() -> dict:
    try:
        with engine().read() as session:
            session.execute(text("SELECT 1"))
        return {"status": "ok"}
    except Exception as error:  # a health check reports failures, it does not raise them
        return {"status": "down", "error": type(error).__name__}


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="a dependency is down")
    def get(self):
        """Database, scheduler, broker and agency gateway reachability."""
        checks = {"database": check_database()}
        # Components that register themselves (scheduler, broker, agency gateway) add checks here.
        for name, check in engine().health_checks.items():
            try:
                checks[name] = check()
            except Exception as error:
                checks[name] = {"status": "down", "error": type(error).__name__}
        healthy = all(check["status"] in ("ok", "not_configured") for check in checks.values())
        return {"status": "ok" if healthy else "degraded", "checks": checks}, 200 if healthy else 503
