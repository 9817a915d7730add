#!/usr/bin/env bash
# Install redis-server from Debian packages (if missing). With --start, also start one on
# 127.0.0.1:${ONESTOP_REDIS_PORT:-6379} (if none answers there) and print its URL.
# The test suite only needs the binary: its Celery tests start their own server.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v redis-server >/dev/null 2>&1; then
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >&2
fi
if [ "${1:-}" = "--start" ]; then
  PORT=${ONESTOP_REDIS_PORT:-6379}
  DIR=${ONESTOP_REDIS_DIR:-$(cd "$(dirname "$0")/.." && pwd)/instance/redis}
  mkdir -p "$DIR"
  if ! redis-cli -p "$PORT" ping >/dev/null 2>&1; then
    # appendonly: the broker's queues survive a restart of Redis itself.
    redis-server --port "$PORT" --bind 127.0.0.1 --dir "$DIR" --appendonly yes --daemonize yes \
      --logfile "$DIR/redis.log" >&2
    for _ in $(seq 1 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  echo "redis://127.0.0.1:$PORT/0"
fi
