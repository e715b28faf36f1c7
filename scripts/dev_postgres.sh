#!/usr/bin/env bash
# The project-local PostgreSQL used by scripts/run.sh when no database URL is configured.
#   dev_postgres.sh start   -> initializes (first time) and starts it; prints `export TIMESTORE_DATABASE_URL=...`
#   dev_postgres.sh stop    -> stops it (data is kept)
#   dev_postgres.sh status  -> prints the URL and whether it runs
# It listens on 127.0.0.1:5432 with role/database apphub (the seed's default URL) when that port is
# free, else on another free port (remembered). Data lives in $TIMESTORE_STATE_DIR/postgres. The state
# dir defaults to <checkout>/.state (git-ignored) when the PostgreSQL OS user can reach the checkout,
# else (a checkout under /root, run as root) to /var/lib/timestore-dev/<checkout hash>.
set -euo pipefail
cmd=${1:?usage: dev_postgres.sh start|stop|status}
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/postgres.sh"

state_dir() {
  if [[ -n "${TIMESTORE_STATE_DIR:-}" ]]; then echo "$TIMESTORE_STATE_DIR"; return; fi
  local local_state="$root/.state"
  mkdir -p "$local_state"
  if [[ $(id -u) -ne 0 ]] || runuser -u "$PG_OS_USER" -- test -x "$local_state" 2>/dev/null; then
    echo "$local_state"
  else
    echo "/var/lib/timestore-dev/$(printf '%s' "$root" | sha1sum | cut -c1-12)"
  fi
}

state=$(state_dir)
pgdir="$state/postgres"
data="$pgdir/data"
url_for() { echo "postgres://apphub:apphub@127.0.0.1:$1/apphub"; }
running() { [[ -f "$data/postmaster.pid" ]] && pg_as_owner "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; }

case "$cmd" in
start)
  mkdir -p "$state"
  pg_prepare_dir "$pgdir"
  [[ -f "$data/PG_VERSION" ]] || pg_initdb "$data"
  if ! running; then
    port=$(cat "$pgdir/port" 2>/dev/null || echo 5432)
    if ss -Htln "sport = :$port" | grep -q .; then
      port=$(pg_start_on_free_port "$data" "$pgdir" "$pgdir/server.log" "")
    else
      pg_start "$data" "$pgdir" "$pgdir/server.log" "$port" "" >&2 || { cat "$pgdir/server.log" >&2; exit 1; }
    fi
    echo "$port" >"$pgdir/port"
  fi
  port=$(cat "$pgdir/port")
  pg_create_role_and_db "$pgdir" "$port" apphub apphub apphub
  echo "dev_postgres: running in $pgdir on 127.0.0.1:$port" >&2
  echo "export TIMESTORE_DATABASE_URL='$(url_for "$port")'"
  ;;
stop)
  if running; then (cd / && pg_as_owner "$PGBIN/pg_ctl" -D "$data" -m fast -w -s stop); fi
  echo "dev_postgres: stopped ($pgdir)" >&2
  ;;
status)
  port=$(cat "$pgdir/port" 2>/dev/null || echo "?")
  if running; then echo "running $(url_for "$port") in $pgdir"; else echo "stopped ($pgdir)"; exit 3; fi
  ;;
*) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
