#!/usr/bin/env bash
# Configures (first time) and builds timestore into $TIMESTORE_BUILD_DIR (default: build/).
#   build.sh [ninja targets...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${TIMESTORE_BUILD_DIR:-$root/build}
if [[ ! -f "$build_dir/build.ninja" ]]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE:-RelWithDebInfo} >/dev/null
fi
cmake --build "$build_dir" -j "$(nproc)" ${1:+--target "$@"}
