#!/usr/bin/env bash
# A throwaway PostgreSQL for the benchmark's durable phase, with the server's durable defaults (fsync and
# synchronous_commit on, unlike the test fixture): an acknowledged observation must be on disk.
#   bench/postgres.sh start   # prints the connection string to pass as --postgres
#   bench/postgres.sh stop    # stops it and removes its folder
# Needs PostgreSQL 15's server binaries (apt-get install -y postgresql-15). The server refuses to run as root, so as
# root it runs as the postgres user.
set -euo pipefail
bin="${MDL_PG_BIN:-/usr/lib/postgresql/15/bin}"
root="${MDL_BENCH_PG_DIR:-/tmp/mdl-bench-postgres}"
port="${MDL_BENCH_PG_PORT:-55439}"

as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
  start)
    [ -x "$bin/initdb" ] || { echo "no PostgreSQL server binaries in $bin: apt-get install -y postgresql-15" >&2; exit 1; }
    mkdir -p "$root"
    [ "$(id -u)" = 0 ] && chown postgres "$root"
    if [ ! -f "$root/data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$root/data" -A trust -U postgres >/dev/null
    fi
    as_owner "$bin/pg_ctl" -D "$root/data" -l "$root/log" -w \
      -o "-p $port -k $root -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
    ;;
  stop)
    [ -d "$root/data" ] && as_owner "$bin/pg_ctl" -D "$root/data" -m fast -w stop >/dev/null || true
    rm -rf "$root"
    ;;
  *)
    echo "usage: bench/postgres.sh start|stop" >&2
    exit 1
    ;;
esac
