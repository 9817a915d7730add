"""Health of the server and what it depends on."""

from __future__ import annotations

from flask.views import MethodView

from ..auth import engine
from ..schemas import HealthSchema
from ..security import operator_or_loopback
from .common import Blueprint

blp = Blueprint("operations", __name__, url_prefix="/api", description="Operations.")


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="a dependency is down")
    def get(self):
        """The whole deployment, as every process reports it from the shared record: the
        database, the scheduler's and the workers' heartbeats, each agency's circuit, the broker,
        and the open incidents (counted; they do not make the deployment unhealthy). The details
        only to operators and admins, or to a caller on this machine; others read up or down."""
        checks = {}
        heartbeat = engine().components.get("heartbeat")
        if heartbeat is not None:
            heartbeat.refresh()  # this process's own row current, and a write to test the database
        # bootstrap registers the checks (engine.health_checks); each reads the shared record.
        for name, check in engine().health_checks.items():
            try:
                checks[name] = check()
            except Exception as error:
                checks[name] = {"status": "down", "error": type(error).__name__}
        healthy = all(check["status"] in ("ok", "not_configured") for check in checks.values())
        answer = {"status": "ok" if healthy else "degraded"}
        if operator_or_loopback():
            answer["checks"] = checks
        return answer, 200 if healthy else 503


@blp.route("/health/node")
class NodeHealth(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="this node cannot use the database")
    def get(self):
        """This node alone: it answers and reaches the database. For the load balancer's check,
        which must take out a node that is down, not every node when something they share is
        (``/api/health`` answers for the whole deployment)."""
        database = engine().health_checks["database"]()
        healthy = database["status"] == "ok"
        answer = {"status": "ok" if healthy else "degraded"}
        if operator_or_loopback():
            answer["checks"] = {"database": database}
        return answer, 200 if healthy else 503
