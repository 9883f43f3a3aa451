#!/usr/bin/env bash
# The whole suite: lint, security scan, tests on SQLite and on PostgreSQL.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
status=0

echo "== ruff"
$BIN/ruff check src tests bench || status=1
$BIN/ruff format --check src tests bench || status=1
echo "== bandit"
$BIN/bandit -q -c pyproject.toml -r src || status=1
echo "== django checks (production settings)"
KREISWERK_PRODUCTION=1 KREISWERK_SECRET_KEY="$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')" \
  KREISWERK_KEYS="k1:$(head -c 32 /dev/urandom | base64)" KREISWERK_ALLOWED_HOSTS=kreiswerk.example \
  KREISWERK_INDEX_KEY="$(head -c 32 /dev/urandom | base64)" \
  KREISWERK_DATA_DIR="$(mktemp -d)" $BIN/kreiswerk check --deploy --fail-level WARNING || status=1

echo "== tests on SQLite"
$BIN/pytest -q -p no:randomly "$@" || status=1

if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "== tests on PostgreSQL"
  DATABASE_URL="postgres://postgres@127.0.0.1:5432/kreiswerk" $BIN/pytest -q -m "not browser" "$@" || status=1
else
  echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2
  [ "${CI:-}" = "true" ] && status=1
fi
exit $status
