#!/usr/bin/env bash
# Installs what timestore needs to build, run and test on Debian 12, idempotently:
#   - Debian packages (apt-get, only those missing; as root or through sudo);
#   - the test S3 server's pinned npm packages (tools/s3, from its lockfile);
#   - DuckDB's library and header, fetched from pinned npm packages and SHA-512-verified by CMake
#     at configure time (cmake/DuckDB.cmake).
# A second run with everything present takes about a second.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  g++ cmake ninja-build ccache pkg-config git
  libboost1.81-dev
  libsimdjson-dev libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql-15 libpq-dev libcurl4-openssl-dev libssl-dev
  clang-format clang-tidy nodejs iproute2 curl
  prometheus  # for promtool only (tests/app/metrics_test.cc checks the /metrics exposition)
)

missing=()
for p in "${packages[@]}"; do
  # nodejs may come from outside Debian (nodesource); a working node+npm is what counts.
  if [[ $p == nodejs ]] && command -v node >/dev/null && command -v npm >/dev/null; then continue; fi
  # Any promtool will do (a release tarball's too).
  if [[ $p == prometheus ]] && command -v promtool >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  [[ " ${missing[*]} " == *" nodejs "* ]] && missing+=(npm)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The package also installs a Prometheus server that systemd starts and enables (on :9090); only
  # promtool is wanted. (Containers without systemd, or with a policy-rc.d denying starts, never
  # start it.)
  if [[ " ${missing[*]} " == *" prometheus "* && -d /run/systemd/system ]]; then
    "${sudo_cmd[@]}" systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  fi
fi

# The signature-verifying S3 server used by the tests (pinned by tools/s3/package-lock.json).
s3dir="$root/tools/s3"
if [[ ! -d "$s3dir/node_modules/@20minutes/s3rver" || "$s3dir/package-lock.json" -nt "$s3dir/node_modules/.package-lock.json" ]]; then
  echo "bootstrap: npm ci in tools/s3" >&2
  (cd "$s3dir" && npm ci --no-audit --no-fund --silent)
fi
