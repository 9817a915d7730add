#!/usr/bin/env bash
# Set up and run onestop on the embedded default: SQLite, no other service.
# Creates the database, deploys every procedure in bpmn/, creates demo users (development
# only) and serves the API with gunicorn on http://127.0.0.1:8000 (docs at /api/docs).
# In development the agency simulator (workflows/agencies/simulator) runs next to it on
# http://127.0.0.1:8100 and stops with it; set ONESTOP_AGENCY_URL (or the per-agency
# ONESTOP_AGENCY_<AGENCY>_URL, see docs/agencies.md) to use real gateways instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export ONESTOP_ENV=${ONESTOP_ENV:-development}
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$PWD/instance/prometheus}
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
ONESTOP=".venv/bin/onestop"
$ONESTOP db upgrade
$ONESTOP definitions deploy bpmn
if [ "$ONESTOP_ENV" = "development" ]; then
  $ONESTOP users ensure-demo
fi

SIMULATOR_PID=""
SERVER_PID=""
stop_server() { [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null || true; }
stop_simulator() { [ -n "$SIMULATOR_PID" ] && kill -TERM "$SIMULATOR_PID" 2>/dev/null && wait "$SIMULATOR_PID" 2>/dev/null || true; }
trap stop_server INT TERM
trap stop_simulator EXIT

if [ "$ONESTOP_ENV" = "development" ] && [ -z "${ONESTOP_AGENCY_URL:-}" ]; then
  SIMULATOR_PORT=${ONESTOP_SIMULATOR_PORT:-8100}
  .venv/bin/python -m workflows.agencies.simulator --port "$SIMULATOR_PORT" &
  SIMULATOR_PID=$!
  export ONESTOP_AGENCY_URL="http://127.0.0.1:$SIMULATOR_PORT"
fi

.venv/bin/gunicorn -c config/gunicorn.conf.py api.wsgi:app &
SERVER_PID=$!
# The first wait returns early when a signal arrives (the trap stops the server); the second
# waits for it to finish, then the EXIT trap stops the simulator.
wait "$SERVER_PID" || true
wait "$SERVER_PID" 2>/dev/null || true
