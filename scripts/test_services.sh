#!/usr/bin/env bash
# ctest fixture: starts (or stops) the throwaway PostgreSQL and S3 server for one test run.
#   test_services.sh start|stop STATE_DIR   -> STATE_DIR/pg.env and STATE_DIR/s3.env
set -euo pipefail
cmd=${1:?usage: test_services.sh start|stop STATE_DIR}
state_dir=${2:?state dir}
here=$(dirname "$0")
case "$cmd" in
start)
  mkdir -p "$state_dir"
  # A previous run that was killed may have left services behind: stop them first.
  "$here/s3_tmp.sh" stop "$state_dir/s3.env"
  "$here/pg_tmp.sh" stop "$state_dir/pg.env"
  "$here/pg_tmp.sh" start "$state_dir/pg.env" >/dev/null
  "$here/s3_tmp.sh" start "$state_dir/s3.env" >/dev/null
  echo "services ready in $state_dir"
  ;;
stop)
  "$here/s3_tmp.sh" stop "$state_dir/s3.env"
  "$here/pg_tmp.sh" stop "$state_dir/pg.env"
  ;;
*) exit 2 ;;
esac
