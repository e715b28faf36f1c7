#!/usr/bin/env bash
# Throwaway S3-compatible server for tests: @20minutes/s3rver (verifies SigV4), credentials S3RVER/S3RVER.
#   s3_tmp.sh start [STATE_FILE] -> prints (and writes) exports S3TMP_DIR S3TMP_PID TIMESTORE_S3_ENDPOINT
#                                   TIMESTORE_S3_BUCKET (created at start)
#   s3_tmp.sh stop  [STATE_FILE] -> kills the server and removes its data; idempotent
#   s3_tmp.sh pause  STATE_FILE  -> kills the server but keeps its data (tests of a storage outage)
#   s3_tmp.sh resume STATE_FILE  -> starts it again on the same port with the same data
set -euo pipefail
cmd=${1:?usage: s3_tmp.sh start|stop [STATE_FILE]}
state=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
bucket=${S3TMP_BUCKET:-timestore-test}

# launch DATA_DIR PORT LOG: starts the server, waits for "listening", prints "PID HOST:PORT".
launch() {
  local data=$1 port=$2 log=$3 pid addr
  # The continuation tokens of ListObjectsV2 use DES, which Node 20 only has in the legacy provider.
  NODE_OPTIONS=--openssl-legacy-provider setsid node "$root/tools/s3/start.js" "$data" "$port" "$bucket" \
    >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    grep -q '^listening ' "$log" && break
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; return 1; }
    sleep 0.1
  done
  addr=$(sed -n 's/^listening //p' "$log" | head -1)
  [[ -n "$addr" ]] || { echo "s3rver did not start" >&2; kill "$pid"; return 1; }
  echo "$pid $addr"
}

case "$cmd" in
start)
  [[ -d "$root/tools/s3/node_modules/@20minutes/s3rver" ]] ||
    (cd "$root/tools/s3" && npm ci --no-audit --no-fund --silent)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/timestore-s3.XXXXXX")
  read -r pid addr < <(launch "$dir/data" 0 "$dir/server.log")
  [[ -n "${addr:-}" ]] || exit 1
  out="export S3TMP_DIR='$dir' S3TMP_PID=$pid TIMESTORE_S3_ENDPOINT='http://$addr' TIMESTORE_S3_BUCKET='$bucket'"
  [[ -n "$state" ]] && printf '%s\n' "$out" >"$state"
  printf '%s\n' "$out"
  ;;
pause)
  source "${state:?STATE_FILE required}"
  kill "$S3TMP_PID" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$S3TMP_PID" 2>/dev/null || break; sleep 0.1; done
  ;;
resume)
  source "${state:?STATE_FILE required}"
  read -r pid addr < <(launch "$S3TMP_DIR/data" "${TIMESTORE_S3_ENDPOINT##*:}" "$S3TMP_DIR/server.log")
  [[ -n "${addr:-}" ]] || exit 1
  sed -i "s/S3TMP_PID=[0-9]*/S3TMP_PID=$pid/" "$state"
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
*) echo "usage: $0 start|stop|pause|resume [STATE_FILE]" >&2; exit 2 ;;
esac
