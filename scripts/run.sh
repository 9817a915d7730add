#!/usr/bin/env bash
# Set up and run onestop on the embedded default: SQLite, no other service.
# Creates the database, deploys every procedure in bpmn/, creates demo users (development
# only) and serves the API with gunicorn on http://127.0.0.1:8000 (docs at /api/docs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export ONESTOP_ENV=${ONESTOP_ENV:-development}
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$PWD/instance/prometheus}
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
FLASK=".venv/bin/flask --app api"
$FLASK db upgrade
$FLASK definitions deploy bpmn
if [ "$ONESTOP_ENV" = "development" ]; then
  $FLASK users ensure-demo
fi
exec .venv/bin/gunicorn -c config/gunicorn.conf.py api.wsgi:app
