#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests: temp dir, free port, pg_ctl; no system service touched.
#   source scripts/pg.sh    -> starts it, exports IDGATE_TEST_PG_URL, stops it when the shell exits
set -euo pipefail
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$pgbin/initdb" ] || { echo "pg.sh: PostgreSQL server binaries missing; run scripts/setup.sh" >&2; return 1 2>/dev/null || exit 1; }
pgdir=$(mktemp -d /tmp/idgate-pg.XXXXXX)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$pgdir"
pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$pgbin/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 >/dev/null
as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
  -o "-p $pgport -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
  start >/dev/null
export IDGATE_TEST_PG_URL="postgres://postgres@127.0.0.1:$pgport/postgres"
idgate_pg_stop() { as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pgdir"; }
trap idgate_pg_stop EXIT
echo "pg.sh: PostgreSQL on port $pgport ($pgdir)" >&2
