#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests (temp dir, random free loopback port, unprivileged OS user).
#   pg_tmp.sh start [STATE_FILE]  -> prints (and writes to STATE_FILE) shell exports:
#        PGTMP_DIR PGTMP_PORT PGTMP_OS_USER PGTMP_BIN TIMESTORE_PG_URL
#   pg_tmp.sh stop  [STATE_FILE]  -> fast shutdown and removal; idempotent
#   pg_tmp.sh pause  STATE_FILE   -> stops the server but keeps its data (tests of a database outage)
#   pg_tmp.sh resume STATE_FILE   -> starts a paused server again on the same port
# PostgreSQL refuses to run as root, so as root the cluster runs as $PGTMP_OS_USER (default postgres).
set -euo pipefail
cmd=${1:?usage: pg_tmp.sh start|stop [STATE_FILE]}
state=${2:-}
source "$(dirname "$0")/lib/postgres.sh"
# Durability is irrelevant for a throwaway cluster; speed is not.
TEST_PG_OPTIONS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"

case "$cmd" in
start)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/timestore-pg.XXXXXX")  # outside the checkout: /root is 0700
  pg_prepare_dir "$dir"
  pg_initdb "$dir/data"
  port=$(pg_start_on_free_port "$dir/data" "$dir" "$dir/server.log" "$TEST_PG_OPTIONS")
  pg_create_role_and_db "$dir" "$port" timestore timestore timestore
  out="export PGTMP_DIR='$dir' PGTMP_PORT=$port PGTMP_OS_USER='$PG_OS_USER' PGTMP_BIN='$PGBIN' TIMESTORE_PG_URL='postgres://timestore:timestore@127.0.0.1:$port/timestore'"
  [[ -n "$state" ]] && printf '%s\n' "$out" >"$state"
  printf '%s\n' "$out"
  ;;
pause | resume)
  source "${state:?STATE_FILE required}"
  if [[ $cmd == pause ]]; then
    (cd / && pg_as_owner "$PGBIN/pg_ctl" -D "$PGTMP_DIR/data" -m fast -w -s stop)
  else
    pg_start "$PGTMP_DIR/data" "$PGTMP_DIR" "$PGTMP_DIR/server.log" "$PGTMP_PORT" "$TEST_PG_OPTIONS"
  fi
  ;;
stop)
  if [[ -n "$state" ]]; then
    [[ -f "$state" ]] || exit 0
    source "$state"
  fi
  [[ -n "${PGTMP_DIR:-}" && -d "$PGTMP_DIR" ]] || exit 0
  cd /
  [[ -f "$PGTMP_DIR/data/postmaster.pid" ]] && pg_as_owner "$PGBIN/pg_ctl" -D "$PGTMP_DIR/data" -m fast -w -s stop || true
  rm -rf "$PGTMP_DIR"
  [[ -n "$state" ]] && rm -f "$state"
  ;;
*) echo "usage: $0 start|stop|pause|resume [STATE_FILE]" >&2; exit 2 ;;
esac
