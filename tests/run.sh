#!/usr/bin/env bash
# The whole check, on a fresh Debian machine (as root, or with sudo) or a developer's one:
# installs the Debian packages that are missing, then runs the parts below, each in its own
# build folder. Idempotent; quiet unless something fails (each step's log is kept in its build
# folder and printed when the step fails). The exit code is 0 only when every part passed.
#
#   tests/run.sh                          what CI runs (.ci/run): --quick, --asan, --tsan, --fuzz;
#                                         each test once: build/ builds and runs only the
#                                         benchmarks then
#   tests/run.sh --quick                  build/ (RelWithDebInfo) and every CTest test
#   tests/run.sh --sanitizers             build-asan/: every test (bench excluded) with
#                                         AddressSanitizer + UndefinedBehaviorSanitizer;
#                                         build-tsan/: engine, push and API tests with ThreadSanitizer
#   tests/run.sh --asan | --tsan          one of the two
#   tests/run.sh --fuzz [SECONDS]         build-fuzz/ (clang): every libFuzzer target in tests/fuzz/
#                                         for SECONDS each (default 30), two at a time
#   tests/run.sh --build-only [TARGET...] install and build build/ (only the given targets), no
#                                         tests; samples/demo.sh uses this
#
# DMS_RUN_BUILD_DIR: another folder instead of build/ (the others get -asan, -tsan, -fuzz added).
set -euo pipefail

usage() {
  echo "usage: tests/run.sh [--quick | --sanitizers | --asan | --tsan | --fuzz [SECONDS] |" \
       "--build-only [TARGET...]]" >&2
  exit 2
}

parts=(quick asan tsan fuzz)
targets=()
fuzz_seconds=30
case "${1:-}" in
  "") ;;
  --quick) parts=(quick) ;;
  --sanitizers) parts=(asan tsan) ;;
  --asan) parts=(asan) ;;
  --tsan) parts=(tsan) ;;
  --fuzz)
    parts=(fuzz)
    if [[ $# -ge 2 ]]; then
      [[ "$2" =~ ^[1-9][0-9]*$ ]] || usage
      fuzz_seconds="$2"
    fi
    ;;
  --build-only)
    parts=(build-only)
    shift
    targets=("$@")
    ;;
  *) usage ;;
esac
if [[ "${parts[0]}" != build-only && "${parts[0]}" != fuzz && $# -gt 1 ]]; then usage; fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DMS_RUN_BUILD_DIR:-${root}/build}"
cd "${root}"

# clang, libclang-rt-dev (libFuzzer and clang's sanitizer runtimes) and llvm (llvm-symbolizer,
# for readable sanitizer stacks) serve the fuzz and sanitizer parts; GCC's sanitizer runtimes
# come with g++. dpkg-dev (dpkg-shlibdeps), file (CPack's ELF detection) and systemd
# (systemd-analyze verify) serve the packaging check, tests/packaging (label packaging, in
# every CTest run). chromium and chromium-driver: the admin console's browser test
# (tests/host/admin, headless Chromium over WebDriver).
packages=(cmake ninja-build g++ pkg-config libpoco-dev libboost-dev libboost-filesystem-dev
          libgtest-dev libgmock-dev libutf8proc-dev apache2 apache2-utils curl openssl
          ca-certificates attr rclone clang libclang-rt-dev llvm lighttpd lighttpd-mod-webdav
          nginx libnginx-mod-http-dav-ext sqlite3 libsqlite3-dev dpkg-dev file systemd postgresql-15
          libpq-dev chromium chromium-driver)
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

# Repeated runs rebuild little: ccache when it is there (CI machines start without it).
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
jobs="$(nproc)"

summary=()
failed=0
# note <part> <seconds> <result>: one line of the closing summary.
note() { summary+=("$(printf '  %-34s %4dm%02ds  %s' "$1" $(($2 / 60)) $(($2 % 60)) "$3")"); }

print_summary() {
  echo
  echo "tests/run.sh summary:"
  printf '%s\n' "${summary[@]}"
}

# quietly <log> <command...>: runs a step with its output in <log>, shown only when it fails.
quietly() {
  local log="$1"
  shift
  mkdir -p "$(dirname "${log}")"
  if ! "$@" >"${log}" 2>&1; then
    tail -n 200 "${log}"
    echo "tests/run.sh: failed: $* (log: ${log})" >&2
    return 1
  fi
}

# configure <dir> <cmake options...>: a build folder made elsewhere (another checkout, another
# generator) cannot be reused, so it is started afresh.
configure() {
  local dir="$1" cache="$1/CMakeCache.txt"
  shift
  if [[ -f "${cache}" ]] && ! { grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=${root}" "${cache}" &&
                                 grep -qx "CMAKE_GENERATOR:INTERNAL=Ninja" "${cache}"; }; then
    echo "tests/run.sh: ${dir} was configured for another tree or generator; starting afresh"
    rm -rf "${dir}"
  fi
  quietly "${dir}/configure.log" cmake -S "${root}" -B "${dir}" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" "$@"
}

# The quick build: optimised as users run it (the benchmarks measure it), with line tables
# only (-g1: stacks and gdb still show file and line; full debug info costs a quarter more
# compile time).
quick_flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG")

# Sanitizer and fuzz builds: -O1 and line tables only compile much faster than -O2 -g and are
# what the sanitizers' documentation recommends; stacks still show file and line.
instrumented_flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG"
                    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG")
# ASan+UBSan builds the whole tree at -O0: a test file compiles in about 60 % of the CPU time
# of -O1 (12 s against 21 s), and the tests, mostly waiting on processes and sockets, ran no
# slower (tests/filing: 26 s at -O0, 31 s at -O1). TSan stays at -O1, as its documentation asks.
asan_flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O0 -g1 -DNDEBUG"
            -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O0 -g1 -DNDEBUG")

# build_in <dir> [TARGET...]
build_in() {
  local dir="$1"
  shift
  local target_args=()
  if (($# > 0)); then target_args=(--target "$@"); fi
  quietly "${dir}/build.log" cmake --build "${dir}" --parallel "${jobs}" "${target_args[@]}"
}

# step <name> <function> [args...]: runs a part, times it, and records the result.
step() {
  local name="$1" start=${SECONDS}
  shift
  if "$@"; then
    note "${name}" $((SECONDS - start)) "passed"
  else
    note "${name}" $((SECONDS - start)) "FAILED"
    failed=1
  fi
}

run_build_only() {
  configure "${build}" "${quick_flags[@]}" && build_in "${build}" "${targets[@]}"
}

run_quick() {
  configure "${build}" "${quick_flags[@]}" || return 1
  # When the ASan+UBSan part follows in the same run (CI), it runs every test but the
  # benchmarks: here only the benchmarks then (target `benchmarks`: they and what they start),
  # which need the optimised build. Alone, --quick builds and runs everything. ctest's own
  # output, with its "100% tests passed, 0 tests failed out of N".
  if ((asan_follows)); then
    echo "tests/run.sh: build/ runs the benchmarks; every other test runs under ASan+UBSan below"
    build_in "${build}" benchmarks || return 1
    ctest --test-dir "${build}" --output-on-failure -j2 -L bench
  else
    build_in "${build}" || return 1
    ctest --test-dir "${build}" --output-on-failure -j2
  fi
}

# Sanitizer reports fail the test that triggers them. Suppressions (tests/sanitizers/*.supp)
# are for system libraries only; each one says why.
sanitizer_environment() {
  local supp="${root}/tests/sanitizers"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0:strict_init_order=1"
  export LSAN_OPTIONS="suppressions=${supp}/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=${supp}/ubsan.supp"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=${supp}/tsan.supp"
}

run_asan() {
  local dir="${build}-asan"
  configure "${dir}" -DDMS_SANITIZE=address,undefined -DDMS_BUILD_BENCHMARKS=OFF \
    "${asan_flags[@]}" || return 1
  build_in "${dir}" || return 1
  sanitizer_environment
  quietly "${dir}/ctest.log" ctest --test-dir "${dir}" --output-on-failure -j2 -LE bench || return 1
  # The whole log: with a skipped test, the count is above the last three lines.
  grep -m1 'tests passed' "${dir}/ctest.log" || true
}

# The engine (reconcile, task pool, state), push (inbox, workers, poller), API client (token
# sharing, session pool, downloads) and filesystem connector (batches sharing syncfs calls,
# SharedSync) tests: the code that runs threads.
tsan_targets=(filing_tests push_tests commands_tests api_commands_tests api_unit_test api_client_test api_sandbox_test
              ambita-sandbox filesystem_target_test filesystem_conformance_test)
tsan_test_dirs=(tests/filing tests/push tests/commands tests/api tests/filesystem)
run_tsan() {
  local dir="${build}-tsan" test_dir
  configure "${dir}" -DDMS_SANITIZE=thread -DDMS_BUILD_BENCHMARKS=OFF "${instrumented_flags[@]}" ||
    return 1
  build_in "${dir}" "${tsan_targets[@]}" || return 1
  sanitizer_environment
  for test_dir in "${tsan_test_dirs[@]}"; do
    quietly "${dir}/${test_dir}/ctest.log" ctest --test-dir "${dir}/${test_dir}" \
      --output-on-failure -j2 || return 1
    echo "${test_dir}: $(grep -m1 'tests passed' "${dir}/${test_dir}/ctest.log")"
  done
}

# fuzz_one <dir> <name>: runs one target for fuzz_seconds on its seeds (tests/fuzz/corpus/NAME,
# read only) and what earlier runs found (DIR/corpus/NAME). A crash, leak, timeout or broken
# property fails; the reproducer is DIR/artifacts/NAME-crash-... (rerun: DIR/fuzz/NAME FILE).
fuzz_one() {
  local dir="$1" name="$2"
  local found="${dir}/corpus/${name}" seeds="${root}/tests/fuzz/corpus/${name}"
  local log="${dir}/logs/${name}.log" dict=()
  mkdir -p "${found}" "${dir}/artifacts" "${dir}/logs"
  if [[ -f "${root}/tests/fuzz/${name}.dict" ]]; then dict=(-dict="${root}/tests/fuzz/${name}.dict"); fi
  if "${dir}/fuzz/${name}" -max_total_time="${fuzz_seconds}" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="${dir}/artifacts/${name}-" "${dict[@]}" \
       "${found}" "${seeds}" >"${log}" 2>&1; then
    echo "  ${name}: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "${log}" |
                        grep -o '[0-9]*$') runs, no finding"
  else
    tail -n 60 "${log}"
    echo "tests/run.sh: fuzz target ${name} failed (log: ${log}; reproducer in ${dir}/artifacts/)" >&2
    return 1
  fi
}

run_fuzz() {
  local dir="${build}-fuzz" name
  configure "${dir}" -DDMS_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
    "${instrumented_flags[@]}" || return 1
  build_in "${dir}" fuzzers || return 1
  local names=()
  for name in "${root}"/tests/fuzz/fuzz_*.cpp; do names+=("$(basename "${name}" .cpp)"); done
  # Two at a time: one per core.
  export -f fuzz_one
  export root fuzz_seconds
  printf '%s\n' "${names[@]}" | xargs -P 2 -I{} bash -c 'fuzz_one "$0" {}' "${dir}"
}

asan_follows=0
for part in "${parts[@]}"; do [[ "${part}" == asan ]] && asan_follows=1; done

if [[ "${parts[0]}" == build-only ]]; then
  run_build_only
  exit $?
fi
for part in "${parts[@]}"; do
  case "${part}" in
    quick) step "build + tests (build/)" run_quick ;;
    asan) step "ASan+UBSan build + tests (build-asan/)" run_asan ;;
    tsan) step "TSan engine/push/API tests (build-tsan/)" run_tsan ;;
    fuzz) step "fuzz ${fuzz_seconds}s per target (build-fuzz/)" run_fuzz ;;
  esac
done
print_summary
exit "${failed}"
