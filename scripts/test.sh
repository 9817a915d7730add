#!/usr/bin/env bash
# Set up and run the whole test suite: ruff's lint and format checks, then the tests once on
# SQLite and once on PostgreSQL (there, the tests that reach the database: tests/conftest.py).
# The Celery tests start their own Redis server: redis-server is installed here.
# The several-nodes test starts its own HAProxy in front of two app nodes: haproxy is installed here.
# The timestamp tests run OpenSSL's `ts` as a local timestamp authority: openssl is installed here.
# The end-to-end browser tests (marker e2e) run once, on SQLite: they test the pages, not the
# database.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/redis.sh
bash scripts/haproxy.sh
bash scripts/chromium.sh
# The timestamp tests run a local RFC 3161 authority with OpenSSL's `ts` command.
if ! command -v openssl >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openssl
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
status=0
# pytest answers 5 when a selection (-k, a path) leaves nothing to run in one of the stages.
tests() { .venv/bin/python -m pytest "$@" || { code=$?; [ "$code" -eq 5 ] || return "$code"; }; }
echo "== lint and format (ruff)"
.venv/bin/ruff check . || status=$?
.venv/bin/ruff format --check . || status=$?
# The two runs share the machine's cores: PostgreSQL's in the background (its output printed when
# it ends); in the foreground SQLite's, then the browser tests (on SQLite: they test the pages).
POSTGRES_URL=$(bash scripts/postgres.sh)
postgres_log=$(mktemp)
ONESTOP_TEST_DATABASE_URL="$POSTGRES_URL" tests -m "not e2e" -p no:cacheprovider "$@" \
  >"$postgres_log" 2>&1 &
postgres_run=$!
echo "== tests on SQLite"
tests -m "not e2e" "$@" || status=$?
echo "== browser tests (SQLite)"
tests -m e2e "$@" || status=$?
postgres_status=0
wait "$postgres_run" || postgres_status=$?
echo "== tests on PostgreSQL"
cat "$postgres_log"
rm -f "$postgres_log"
[ "$postgres_status" -eq 0 ] || status=$postgres_status
exit $status
