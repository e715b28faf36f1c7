#!/usr/bin/env bash
# The test command: installs what is missing, builds everything and runs the whole suite with ctest.
# ctest's "services" fixture starts a throwaway PostgreSQL and S3 server and stops them at the end.
# Extra arguments go to ctest (e.g. scripts/test.sh -R Catalog).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/bootstrap.sh"
"$root/scripts/build.sh"
build_dir=${TIMESTORE_BUILD_DIR:-$root/build}
cd "$build_dir"
ctest --output-on-failure -j "$(nproc)" --timeout 300 "$@"
