#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, from Debian's packages (installed here when missing).
#   scripts/pg.sh start   -> prints the server's admin URL on stdout
#   scripts/pg.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${CROSSTRUST_PG_PORT:-55432}
# Outside the work tree: the server runs as another user, who must be able to reach the folder.
BASE=${CROSSTRUST_PG_DIR:-${TMPDIR:-/tmp}/crosstrust-pg-$PORT}
DATA=$BASE/data
LOG=$BASE/server.log
USER_NAME=crosstrust

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$dir" ] || [ ! -x "$dir/pg_ctl" ]; then
    echo "PostgreSQL server not found; installing Debian's postgresql package" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
    dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$dir"
}

# PostgreSQL refuses to run as root; as root we run it as the postgres user the package created.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  local bin
  bin=$(pg_bin)
  mkdir -p "$BASE"
  [ "$(id -u)" -eq 0 ] && chown postgres "$BASE" && chmod 755 "$BASE"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$DATA" -U "$USER_NAME" --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    # Durability is not what the tests measure: fsync off keeps the suite fast.
    as_owner "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start \
      -o "-p $PORT -c listen_addresses=127.0.0.1 -k $BASE -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
  fi
  for _ in $(seq 1 60); do
    "$bin/pg_isready" -h 127.0.0.1 -p "$PORT" -q && break
    sleep 0.5
  done
  "$bin/pg_isready" -h 127.0.0.1 -p "$PORT" -q || { cat "$LOG" >&2; exit 1; }
  echo "postgresql://$USER_NAME@127.0.0.1:$PORT/postgres"
}

stop() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$bin" ] && [ -f "$DATA/PG_VERSION" ] || exit 0
  as_owner "$bin/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
