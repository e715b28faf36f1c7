#!/usr/bin/env bash
# Throwaway S3-compatible server for tests: @20minutes/s3rver (verifies SigV4), credentials S3RVER/S3RVER.
#   s3_tmp.sh start [STATE_FILE] -> prints (and writes) exports S3TMP_DIR S3TMP_PID TIMESTORE_S3_ENDPOINT
#                                   TIMESTORE_S3_BUCKET (created at start)
#   s3_tmp.sh stop  [STATE_FILE] -> kills the server and removes its data; idempotent
set -euo pipefail
cmd=${1:?usage: s3_tmp.sh start|stop [STATE_FILE]}
state=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
bucket=${S3TMP_BUCKET:-timestore-test}

case "$cmd" in
start)
  [[ -d "$root/tools/s3/node_modules/@20minutes/s3rver" ]] ||
    (cd "$root/tools/s3" && npm ci --no-audit --no-fund --silent)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/timestore-s3.XXXXXX")
  # The continuation tokens of ListObjectsV2 use DES, which Node 20 only has in the legacy provider.
  NODE_OPTIONS=--openssl-legacy-provider setsid node "$root/tools/s3/start.js" "$dir/data" 0 "$bucket" \
    >"$dir/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    grep -q '^listening ' "$dir/server.log" && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    sleep 0.1
  done
  addr=$(sed -n 's/^listening //p' "$dir/server.log" | head -1)
  [[ -n "$addr" ]] || { echo "s3rver did not start" >&2; kill "$pid"; exit 1; }
  out="export S3TMP_DIR='$dir' S3TMP_PID=$pid TIMESTORE_S3_ENDPOINT='http://$addr' TIMESTORE_S3_BUCKET='$bucket'"
  [[ -n "$state" ]] && printf '%s\n' "$out" >"$state"
  printf '%s\n' "$out"
  ;;
stop)
  if [[ -n "$state" ]]; then
    [[ -f "$state" ]] || exit 0
    source "$state"
  fi
  [[ -n "${S3TMP_PID:-}" ]] && kill "$S3TMP_PID" 2>/dev/null || true
  [[ -n "${S3TMP_DIR:-}" ]] && rm -rf "$S3TMP_DIR"
  [[ -n "$state" ]] && rm -f "$state"
  ;;
*) echo "usage: $0 start|stop [STATE_FILE]" >&2; exit 2 ;;
esac
