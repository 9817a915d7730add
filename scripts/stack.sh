#!/usr/bin/env bash
# The production setup on one machine, to try it: PostgreSQL, Redis, the API under gunicorn,
# Celery workers for timers (queue "timers") and for agency calls and the outbox (queues
# "agencies" and "outbox"), and one Celery beat (docs/deployment.md explains each part and the sizing). In
# development the agency simulator runs next to them, as with scripts/run.sh.
#
# The script supervises what it started: a process that exits is reported and started again
# (after a pause that grows if it keeps dying: 1, 2, 4 ... 60 s); one that dies more than
# ONESTOP_STACK_MAX_RESTARTS times in a row without staying up a minute is reported and left
# down, and the rest keeps running. Ctrl-C (or SIGTERM) stops everything it started.
# PostgreSQL and Redis keep running.
#
#   bash scripts/stack.sh              # http://127.0.0.1:8000/api/docs
#   ONESTOP_WORKERS=4 ONESTOP_CELERY_WORKERS=2 ONESTOP_TIMER_CONCURRENCY=2 bash scripts/stack.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${ONESTOP_STACK_SETUP:-1}" = "0" ] || bash scripts/setup.sh
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export ONESTOP_ENV=${ONESTOP_ENV:-development}  # production: no demo users, SMTP delivery
export ONESTOP_DATABASE_URL=${ONESTOP_DATABASE_URL:-$(ONESTOP_PG_DATABASE=onestop bash scripts/postgres.sh)}
export ONESTOP_BROKER_URL=${ONESTOP_BROKER_URL:-$(bash scripts/redis.sh --start)}
export ONESTOP_SCHEDULER=celery
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$PWD/instance/prometheus}
LOGS=${ONESTOP_STACK_LOGS:-instance/logs}
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR" "$LOGS" instance
ONESTOP=".venv/bin/onestop"
# Upgrades: migrations run before any new process starts (they are additive; see the docs).
$ONESTOP db upgrade
$ONESTOP definitions deploy bpmn
if [ "$ONESTOP_ENV" = "development" ]; then
  $ONESTOP users ensure-demo
fi

say() { echo "stack: $*" >&2; }

# name -> command line of each supervised process, in start order.
declare -A COMMANDS=()
ORDER=()
add() { COMMANDS[$1]=$2; ORDER+=("$1"); }

if [ "$ONESTOP_ENV" = "development" ] && [ -z "${ONESTOP_AGENCY_URL:-}" ]; then
  SIMULATOR_PORT=${ONESTOP_SIMULATOR_PORT:-8100}
  add simulator ".venv/bin/python -m workflows.agencies.simulator --port $SIMULATOR_PORT"
  export ONESTOP_AGENCY_URL="http://127.0.0.1:$SIMULATOR_PORT"
fi
CELERY=".venv/bin/celery -A workers.celery_app"
# Timers on workers of their own: a slow agency call never waits in front of a timer.
for n in $(seq 1 "${ONESTOP_TIMER_WORKERS:-1}"); do
  add "timers$n" "$CELERY worker -Q timers --concurrency ${ONESTOP_TIMER_CONCURRENCY:-2} -n timers$n@%h \
--loglevel INFO --logfile $LOGS/timers$n.log"
done
for n in $(seq 1 "${ONESTOP_CELERY_WORKERS:-2}"); do
  add "worker$n" "$CELERY worker -Q agencies,outbox --concurrency ${ONESTOP_CELERY_CONCURRENCY:-2} -n worker$n@%h \
--loglevel INFO --logfile $LOGS/worker$n.log"
done
# One beat here; a second on another machine would stand by (a lease in the database, workers/beat.py).
add beat "$CELERY beat --loglevel WARNING --logfile $LOGS/beat.log"
add api ".venv/bin/gunicorn -c config/gunicorn.conf.py api.wsgi:app"

declare -A PIDS=() STARTED=() FAILURES=()
NAMES_BY_PID=()
MAX_RESTARTS=${ONESTOP_STACK_MAX_RESTARTS:-5}
STOPPING=0

launch() {
  local name=$1
  # exec: the pid is the process itself, so a signal reaches it and not a wrapping shell.
  bash -c "exec ${COMMANDS[$name]}" &
  PIDS[$name]=$!
  NAMES_BY_PID[$!]=$name
  STARTED[$name]=$SECONDS
  say "started $name (pid $!)"
}

stop_all() {
  STOPPING=1
  for name in "${!PIDS[@]}"; do kill -TERM "${PIDS[$name]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  say "stopped"
}
trap 'stop_all; exit 0' INT TERM

for name in "${ORDER[@]}"; do launch "$name"; done
say "API on http://${ONESTOP_HOST:-127.0.0.1}:${ONESTOP_PORT:-8000}/api/docs; logs in $LOGS"

while [ "${#PIDS[@]}" -gt 0 ]; do
  exited=""
  status=0
  wait -n -p exited "${PIDS[@]}" || status=$?
  [ "$STOPPING" = 1 ] && break
  [ -n "$exited" ] || continue
  name=${NAMES_BY_PID[$exited]}
  unset "NAMES_BY_PID[$exited]" "PIDS[$name]"
  if [ $((SECONDS - STARTED[$name])) -ge 60 ]; then FAILURES[$name]=0; fi  # it had stayed up: a new streak
  FAILURES[$name]=$((${FAILURES[$name]:-0} + 1))
  if [ "${FAILURES[$name]}" -gt "$MAX_RESTARTS" ]; then
    say "$name (pid $exited) exited with status $status, ${FAILURES[$name]} times in a row: left down; the rest keeps running"
    continue
  fi
  pause=$((1 << (FAILURES[$name] - 1)))
  [ "$pause" -le 60 ] || pause=60
  say "$name (pid $exited) exited with status $status; starting it again in $pause s"
  sleep "$pause" &
  wait $! || true
  [ "$STOPPING" = 1 ] && break
  launch "$name"
done
