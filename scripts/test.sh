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
# Two worker processes (pytest-xdist), each test file whole in one of them in its own order, the longest
# files handed out first (tests/conftest.py); each worker has its own databases and var/ (tests/README.md).
# CROSSTRUST_TEST_WORKERS=0 runs in one process, as does `-n 0` among the arguments (the last -n wins).
"$BIN/python" -m pytest -n "${CROSSTRUST_TEST_WORKERS:-2}" --dist loadfile --no-loadscope-reorder "$@"
