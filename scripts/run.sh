#!/usr/bin/env bash
# The run command: installs what is missing, builds, and serves timestore on 127.0.0.1:4100 with local
# storage. When neither TIMESTORE_DATABASE_URL nor DATABASE_URL is set it first starts the project-local
# PostgreSQL (scripts/dev_postgres.sh; data kept across restarts) and stops it again on exit.
# Arguments go to `timestore serve`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/bootstrap.sh"
"$root/scripts/build.sh" timestore
build_dir=${TIMESTORE_BUILD_DIR:-$root/build}

if [[ -z "${TIMESTORE_DATABASE_URL:-}" && -z "${DATABASE_URL:-}" ]]; then
  eval "$("$root/scripts/dev_postgres.sh" start)"
  export TIMESTORE_DATABASE_URL
  trap '"$root/scripts/dev_postgres.sh" stop >/dev/null' EXIT
fi
"$build_dir/src/app/timestore" serve "$@" &
server=$!
trap 'kill -TERM $server 2>/dev/null' INT TERM
wait $server || status=$?
wait $server 2>/dev/null || true
exit ${status:-0}
