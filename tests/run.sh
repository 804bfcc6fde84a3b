#!/usr/bin/env bash
# The whole check, on a fresh Debian machine (as root, or with sudo) or a developer's one:
# installs the Debian packages that are missing, configures build/ (Ninja, RelWithDebInfo),
# builds with all cores and runs every CTest test. Idempotent; quiet unless something fails.
# The exit code is the tests' (or the failing step's).
#
#   tests/run.sh                          everything
#   tests/run.sh --build-only [TARGET...] install and build (only the given targets), no tests;
#                                         samples/demo.sh uses this
set -euo pipefail

build_only=0
targets=()
if [[ "${1:-}" == "--build-only" ]]; then
  build_only=1
  shift
  targets=("$@")
elif [[ $# -gt 0 ]]; then
  echo "usage: tests/run.sh [--build-only [TARGET...]]" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# DMS_RUN_BUILD_DIR: another build folder (e.g. to try this script beside a developer's build/).
build="${DMS_RUN_BUILD_DIR:-${root}/build}"
cd "${root}"

packages=(cmake ninja-build g++ pkg-config libpoco-dev libboost-dev libboost-filesystem-dev
          libgtest-dev libgmock-dev libutf8proc-dev apache2 apache2-utils curl openssl
          ca-certificates attr rclone lighttpd lighttpd-mod-webdav nginx
          libnginx-mod-http-dav-ext)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}\n' "${package}" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("${package}")
  fi
done
if ((${#missing[@]} > 0)); then
  sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then sudo=(sudo); fi
  echo "tests/run.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  # The tests start lighttpd, nginx and Apache themselves on free loopback ports: the packages'
  # own service instances must not start (nor take port 80). policy-rc.d answering 101 stops
  # invoke-rc.d from starting them; a machine's own policy-rc.d is left as it is.
  policy=/usr/sbin/policy-rc.d
  made_policy=0
  if [[ ! -e "${policy}" ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "${policy}" >/dev/null
    "${sudo[@]}" chmod 755 "${policy}"
    made_policy=1
  fi
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if ((made_policy)); then "${sudo[@]}" rm -f "${policy}"; fi
fi

# A build/ made elsewhere (another checkout, another generator) cannot be reused.
cache="${build}/CMakeCache.txt"
if [[ -f "${cache}" ]] && ! { grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=${root}" "${cache}" &&
                               grep -qx "CMAKE_GENERATOR:INTERNAL=Ninja" "${cache}"; }; then
  echo "tests/run.sh: ${build} was configured for another tree or generator; starting afresh"
  rm -rf "${build}"
fi

# Runs a step with its output in a log, shown only when the step fails.
quietly() {
  local name="$1" log="${build}/$1.log"
  shift
  mkdir -p "${build}"
  if ! "$@" >"${log}" 2>&1; then
    cat "${log}"
    echo "tests/run.sh: ${name} failed (log: ${log})" >&2
    exit 1
  fi
}

quietly configure cmake -S "${root}" -B "${build}" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
if ((${#targets[@]} > 0)); then
  quietly build cmake --build "${build}" --parallel "$(nproc)" --target "${targets[@]}"
else
  quietly build cmake --build "${build}" --parallel "$(nproc)"
fi
((build_only)) && exit 0

ctest --test-dir "${build}" --output-on-failure -j2
