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
# The tests' node compiles with the JVM's first tier only (C1): a node that lives for one run spent most
# of its CPU compiling with C2 (13 CPU s to start, 20 over the disclosure tests' Elasticsearch half;
# with C1 only 7 and 12, and those tests finish sooner: BENCHMARKS.md, "The suite, ninth pass").
# Exported: the outage test starts the node again. scripts/bench/ starts its nodes without it.
export CROSSTRUST_ES_JAVA_OPTS=${CROSSTRUST_ES_JAVA_OPTS:--XX:TieredStopAtLevel=1}
CROSSTRUST_TEST_ELASTICSEARCH_URL=$(scripts/es.sh start)
export CROSSTRUST_TEST_ELASTICSEARCH_URL

# The tests' files (pytest's tmp_path, each test's var/, the session's SQLite databases, the browser's
# profile) in memory where the machine has a tmpfs: durability is not what the tests measure (the
# PostgreSQL above runs with fsync off for the same reason), and on a busy disk each fsync of a SQLite
# commit costs milliseconds (BENCHMARKS.md, "The suite under ten minutes"). CROSSTRUST_TEST_TMP picks
# another parent folder. Only pytest gets this TMPDIR: pg.sh and es.sh find their servers by theirs.
TEST_TMP=${CROSSTRUST_TEST_TMP:-/dev/shm}
# A test that stops and starts Elasticsearch itself (tests/disclosure/test_search_outage.py) runs es.sh
# with pytest's TMPDIR: tell it where this script's servers live, or it would look for another node.
export CROSSTRUST_PG_DIR=${CROSSTRUST_PG_DIR:-${TMPDIR:-/tmp}/crosstrust-pg-${CROSSTRUST_PG_PORT:-55432}}
export CROSSTRUST_ES_DIR=${CROSSTRUST_ES_DIR:-${TMPDIR:-/tmp}/crosstrust-es-${CROSSTRUST_ES_PORT:-59200}}
PYTEST_TMPDIR=${TMPDIR:-/tmp}
if [ -d "$TEST_TMP" ] && [ -w "$TEST_TMP" ]; then
  PYTEST_TMPDIR=$(mktemp -d -p "$TEST_TMP" crosstrust-tests.XXXXXX)
  trap 'rm -rf "$PYTEST_TMPDIR"; scripts/pg.sh stop; scripts/es.sh stop' EXIT
fi

# Compiled bytecode kept outside the tree: where the environment asks Python not to write __pycache__
# (PYTHONDONTWRITEBYTECODE), every process the tests start (servers, CLIs, workers) would compile the
# platform's ~540 modules again, and each worker rewrite every test module's asserts again. Kept in
# .venv/pycache (CROSSTRUST_PYCACHE picks another folder): the source tree stays free of __pycache__.
if [ -n "${PYTHONDONTWRITEBYTECODE:-}" ]; then
  unset PYTHONDONTWRITEBYTECODE
  export PYTHONPYCACHEPREFIX=${CROSSTRUST_PYCACHE:-$PWD/${VENV:-.venv}/pycache}
fi

# Tests must not pick up a developer's .env or var/.
export CROSSTRUST_VAR_DIR=${CROSSTRUST_VAR_DIR:-$(mktemp -d -p "$PYTEST_TMPDIR")}
"$BIN/ruff" check .
"$BIN/mypy"
# Two worker processes (pytest-xdist), each test file whole in one of them in its own order, the longest
# files handed out first (tests/conftest.py); each worker has its own databases and var/ (tests/README.md).
# CROSSTRUST_TEST_WORKERS=0 runs in one process, as does `-n 0` among the arguments (the last -n wins).
TMPDIR=$PYTEST_TMPDIR "$BIN/python" -m pytest -n "${CROSSTRUST_TEST_WORKERS:-2}" --dist loadfile --no-loadscope-reorder "$@"
