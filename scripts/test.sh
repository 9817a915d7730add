#!/usr/bin/env bash
# Set up and run the whole test suite: ruff's lint and format checks, then the tests once on
# SQLite and once on PostgreSQL.
# The Celery tests start their own Redis server: redis-server is installed here.
# The end-to-end browser tests (marker e2e) run once, on SQLite: they test the pages, not the database.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/redis.sh
bash scripts/chromium.sh
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
status=0
echo "== lint and format (ruff)"
.venv/bin/ruff check . || status=$?
.venv/bin/ruff format --check . || status=$?
echo "== tests on SQLite"
.venv/bin/python -m pytest "$@" || status=$?
echo "== tests on PostgreSQL"
POSTGRES_URL=$(bash scripts/postgres.sh)
ONESTOP_TEST_DATABASE_URL="$POSTGRES_URL" .venv/bin/python -m pytest -m "not e2e" "$@" || status=$?
exit $status
