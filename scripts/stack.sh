#!/usr/bin/env bash
# The production setup on one machine, to try it: PostgreSQL, Redis, the API under gunicorn,
# Celery workers and one Celery beat (docs/deployment.md explains each part and the sizing).
# Ctrl-C stops the workers and beat with the server. PostgreSQL and Redis keep running.
#
#   bash scripts/stack.sh              # http://127.0.0.1:8000/api/docs
#   ONESTOP_WORKERS=4 ONESTOP_CELERY_WORKERS=2 bash scripts/stack.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export ONESTOP_ENV=${ONESTOP_ENV:-development}  # production: no demo users, SMTP delivery
export ONESTOP_DATABASE_URL=${ONESTOP_DATABASE_URL:-$(ONESTOP_PG_DATABASE=onestop bash scripts/postgres.sh)}
export ONESTOP_BROKER_URL=${ONESTOP_BROKER_URL:-$(bash scripts/redis.sh --start)}
export ONESTOP_SCHEDULER=celery
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$PWD/instance/prometheus}
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR" instance/logs
ONESTOP=".venv/bin/onestop"
# Upgrades: migrations run before any new process starts (they are additive; see the docs).
$ONESTOP db upgrade
$ONESTOP definitions deploy bpmn
if [ "$ONESTOP_ENV" = "development" ]; then
  $ONESTOP users ensure-demo
fi

pids=()
stop() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM
CELERY=".venv/bin/celery -A workers.celery_app"
for n in $(seq 1 "${ONESTOP_CELERY_WORKERS:-2}"); do
  $CELERY worker --concurrency "${ONESTOP_CELERY_CONCURRENCY:-1}" -n "worker$n@%h" --loglevel INFO \
    --logfile "instance/logs/worker$n.log" &
  pids+=($!)
done
# Exactly one beat: it only sends "look for due timers" every half second.
$CELERY beat --schedule instance/celerybeat-schedule --loglevel WARNING --logfile instance/logs/beat.log &
pids+=($!)
echo "API on http://${ONESTOP_HOST:-127.0.0.1}:${ONESTOP_PORT:-8000}/api/docs; logs in instance/logs" >&2
.venv/bin/gunicorn -c config/gunicorn.conf.py api.wsgi:app &
pids+=($!)
wait -n "${pids[@]}"
