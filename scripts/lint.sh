#!/usr/bin/env bash
# The lint command (like the original's type-check): clang-format check of every C++ file, then
# clang-tidy (checks in .clang-tidy) over the project's sources using the build's compile database.
#   lint.sh [--fix]   (--fix rewrites formatting instead of failing on it)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mapfile -t files < <(git ls-files '*.cc' '*.h')
if [[ "${1:-}" == "--fix" ]]; then
  clang-format -i "${files[@]}"
else
  clang-format --dry-run --Werror "${files[@]}"
fi
build_dir=${TIMESTORE_BUILD_DIR:-$root/build}
[[ -f "$build_dir/compile_commands.json" ]] || "$root/scripts/build.sh"
mapfile -t sources < <(git ls-files 'src/*.cc')
status=0
output=$(clang-tidy -p "$build_dir" --quiet "${sources[@]}" 2>&1) || status=$?
if grep -qE 'warning:|error:' <<<"$output"; then
  grep -vE '^[0-9]+ warnings? generated' <<<"$output" >&2
  status=1
fi
exit $status
