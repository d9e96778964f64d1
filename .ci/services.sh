#!/usr/bin/env bash
# Redis and PostgreSQL for the tests and benches, from Debian's packages, on 127.0.0.1 only.
#
#   .ci/services.sh up     install what is missing (apt-get), start both, write .services/env
#   .ci/services.sh down   stop both
#
# The servers keep their data under .services/ (ignored by git; PostgreSQL's under /tmp when run
# as root, as it then runs as the `postgres` user); ports 6399 and 5439 by
# default (DIALOGKIT_REDIS_PORT, DIALOGKIT_PG_PORT) so they never meet a system instance.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$ROOT/.services
REDIS_PORT=${DIALOGKIT_REDIS_PORT:-6399}
PG_PORT=${DIALOGKIT_PG_PORT:-5439}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
# as root the server runs as `postgres`, which may not reach a checkout under /root: its files go to /tmp
pg_dir() { if [ "$(id -u)" = 0 ]; then echo "${TMPDIR:-/tmp}/dialogkit-postgres-$PG_PORT"; else echo "$DIR/postgres"; fi; }

install() {
  local need=()
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  [ -n "$(pg_bin)" ] || need+=(postgresql)
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]} (Debian packages)"
    $SUDO apt-get update -qq
    # a package's own start script may fail where there is no init system: what counts is the binaries
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
      echo "apt-get reported a problem; checking what was installed"
  fi
  command -v redis-server >/dev/null 2>&1 || { echo "redis-server is not installed" >&2; exit 1; }
  [ -n "$(pg_bin)" ] || { echo "PostgreSQL is not installed" >&2; exit 1; }
  # the packages start system-wide servers on their default ports; ours run on their own
}

# PostgreSQL refuses to run as root: as root, its files belong to the `postgres` user
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

up() {
  install
  mkdir -p "$DIR"
  if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --dir "$DIR" \
      --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" --save "" --appendonly no
  fi
  local bin data sock
  bin=$(pg_bin)
  data=$(pg_dir)/data
  sock=$(pg_dir)/sock
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data" "$sock"
    if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$(pg_dir)" && chmod 700 "$data"; fi
    as_pg "$bin/initdb" -D "$data" -U dialogkit --auth=trust -E UTF8 >/dev/null
  fi
  if ! as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$data" -l "$sock/postgres.log" -w -o "-p $PG_PORT -k $sock -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
  fi
  as_pg "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U dialogkit -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'dialogkit'" | grep -q 1 ||
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U dialogkit dialogkit
  cat > "$DIR/env" <<ENV
DIALOGKIT_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
DIALOGKIT_TEST_POSTGRES_URL=postgresql+psycopg://dialogkit@127.0.0.1:$PG_PORT/dialogkit
ENV
  echo "services up: redis 127.0.0.1:$REDIS_PORT, postgresql 127.0.0.1:$PG_PORT (settings in .services/env)"
}

down() {
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  local bin
  bin=$(pg_bin)
  if [ -n "$bin" ] && [ -f "$(pg_dir)/data/PG_VERSION" ]; then
    as_pg "$bin/pg_ctl" -D "$(pg_dir)/data" -m fast stop >/dev/null 2>&1 || true
  fi
  echo "services down"
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
