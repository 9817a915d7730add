#!/usr/bin/env bash
# Install (from Debian packages) and start a local PostgreSQL for the test suite, then print
# the database URL to use. Needs root or sudo the first time. The database is onestop_test
# unless ONESTOP_PG_DATABASE names another (scripts/stack.sh uses "onestop").
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
fi
VERSION=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h 2>/dev/null | grep -q "^$VERSION main"; then
  $SUDO pg_createcluster "$VERSION" main >&2
fi
$SUDO pg_ctlcluster "$VERSION" main start >&2 2>/dev/null || true
for _ in $(seq 1 30); do
  as_postgres psql -qtAc "select 1" >/dev/null 2>&1 && break
  sleep 1
done
as_postgres psql -qtA >&2 <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'onestop') THEN
    CREATE ROLE onestop LOGIN PASSWORD 'onestop';
  END IF;
END $$;
SQL
DATABASE=${ONESTOP_PG_DATABASE:-onestop_test}
as_postgres psql -qtAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'" | grep -q 1 \
  || as_postgres createdb -O onestop "$DATABASE" >&2
echo "postgresql+psycopg://onestop:onestop@127.0.0.1:5432/$DATABASE"
