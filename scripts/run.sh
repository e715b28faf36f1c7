#!/usr/bin/env bash
# The run command: installs what is missing, builds, and serves timestore on 127.0.0.1:4100 with local
# storage. When neither TIMESTORE_DATABASE_URL nor DATABASE_URL is set it first starts the project-local
# PostgreSQL (scripts/dev_postgres.sh; data kept across restarts) and stops it again on exit, unless
# it was already running (another server uses it).
#   run.sh [serve options]          timestore serve
#   run.sh SUBCOMMAND [args...]     another subcommand against the same catalog, e.g.
#                                   run.sh token create --scopes timestore:admin
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/bootstrap.sh" >&2
"$root/scripts/build.sh" timestore >&2
build_dir=${TIMESTORE_BUILD_DIR:-$root/build}

subcommand=serve
if [[ $# -gt 0 && "$1" != -* ]]; then
  subcommand=$1
  shift
fi

if [[ -z "${TIMESTORE_DATABASE_URL:-}" && -z "${DATABASE_URL:-}" ]]; then
  already_running=0
  "$root/scripts/dev_postgres.sh" status >/dev/null 2>&1 && already_running=1
  eval "$("$root/scripts/dev_postgres.sh" start)"
  export TIMESTORE_DATABASE_URL
  if [[ $already_running -eq 0 ]]; then
    trap '"$root/scripts/dev_postgres.sh" stop >/dev/null' EXIT
  fi
fi
if [[ "$subcommand" != serve ]]; then
  status=0
  "$build_dir/src/app/timestore" "$subcommand" "$@" || status=$?
  exit $status
fi
"$build_dir/src/app/timestore" serve "$@" &
server=$!
trap 'kill -TERM $server 2>/dev/null' INT TERM
wait $server || status=$?
wait $server 2>/dev/null || true
exit ${status:-0}
