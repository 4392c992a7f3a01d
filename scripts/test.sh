#!/usr/bin/env bash
# The whole suite: starts the real servers it needs (PostgreSQL, Elasticsearch), installs the browser,
# runs pytest once.
# Every database test runs on SQLite and on PostgreSQL (see tests/conftest.py).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin

scripts/system-deps.sh test
CROSSTRUST_TEST_POSTGRES_URL=$(scripts/pg.sh start)
export CROSSTRUST_TEST_POSTGRES_URL
trap 'scripts/pg.sh stop; scripts/es.sh stop' EXIT
CROSSTRUST_TEST_ELASTICSEARCH_URL=$(scripts/es.sh start)
export CROSSTRUST_TEST_ELASTICSEARCH_URL

# Tests must not pick up a developer's .env or var/.
export CROSSTRUST_VAR_DIR=${CROSSTRUST_VAR_DIR:-$(mktemp -d)}
"$BIN/ruff" check .
"$BIN/mypy"
"$BIN/python" -m pytest "$@"
