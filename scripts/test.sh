#!/usr/bin/env bash
# The whole suite: lint, security scan, tests on SQLite and on PostgreSQL.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
status=0

echo "== ruff"
$BIN/ruff check src tests bench devtools || status=1
$BIN/ruff format --check src tests bench devtools || status=1
echo "== bandit"
$BIN/bandit -q -c pyproject.toml -r src || status=1
echo "== django checks (production settings)"
KREISWERK_PRODUCTION=1 KREISWERK_SECRET_KEY="$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')" \
  KREISWERK_KEYS="k1:$(head -c 32 /dev/urandom | base64)" KREISWERK_ALLOWED_HOSTS=kreiswerk.example \
  KREISWERK_INDEX_KEY="$(head -c 32 /dev/urandom | base64)" \
  KREISWERK_DATA_DIR="$(mktemp -d)" $BIN/kreiswerk check --deploy --fail-level WARNING || status=1

# The two databases side by side, one core each: about half the wall time of one after the other.
# Each run gets its own data directory; the logs are shown once both are done.
logs="$(mktemp -d)"
echo "== tests on SQLite and on PostgreSQL (side by side; logs follow when both are done)"
KREISWERK_DATA_DIR="$(mktemp -d)" $BIN/pytest -q -p no:randomly "$@" >"$logs/sqlite.log" 2>&1 &
sqlite_pid=$!
pg_pid=""
if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  KREISWERK_DATA_DIR="$(mktemp -d)" DATABASE_URL="postgres://postgres@127.0.0.1:5432/kreiswerk" \
    $BIN/pytest -q -p no:randomly -m "not browser" "$@" >"$logs/postgres.log" 2>&1 &
  pg_pid=$!
else
  echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2
  [ "${CI:-}" = "true" ] && status=1
fi
wait "$sqlite_pid" || status=1
echo "== tests on SQLite"
cat "$logs/sqlite.log"
if [ -n "$pg_pid" ]; then
  wait "$pg_pid" || status=1
  echo "== tests on PostgreSQL"
  cat "$logs/postgres.log"
fi
exit $status
