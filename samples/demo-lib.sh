# Helpers shared by samples/demo.sh and samples/cluster-demo.sh (sourced, not run). The caller
# sets `logs` (a folder of *.log files shown when it dies) and `archive` (the filed documents).

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() {
  echo "demo: $*" >&2
  for log in "${logs}"/*.log; do
    [[ -s "${log}" ]] || continue
    echo "---- last lines of ${log}:" >&2
    tail -n 25 "${log}" >&2
  done
  exit 1
}

# Waits until FILE has a line starting with PREFIX while PID lives; prints the rest of that line.
wait_for_line() {
  local file="$1" prefix="$2" pid="$3"
  for _ in $(seq 1 200); do
    local line
    line="$(grep -m1 "^${prefix}" "${file}" 2>/dev/null || true)"
    if [[ -n "${line}" ]]; then
      echo "${line#"${prefix}"}"
      return 0
    fi
    kill -0 "${pid}" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# Installs what is missing and builds the demo's programs into ${build} (the same step as the
# tests, tests/run.sh), unless DMS_DEMO_SKIP_BUILD=1; sets `host` and `sandbox` to the programs.
build_demo_programs() {
  if [[ "${DMS_DEMO_SKIP_BUILD:-0}" != 1 ]]; then
    say "Installing what is missing and building dms-host, the sandbox and the modules into ${build}"
    DMS_RUN_BUILD_DIR="${build}" "${root}/tests/run.sh" --build-only dms-host ambita-sandbox \
      dms_plugin_ambita dms_connector_filesystem || die "install or build failed"
  fi
  host="${build}/samples/dms-host"
  sandbox="${build}/samples/ambita-sandbox"
  [[ -f "${sandbox}" ]] || sandbox="${build}/samples/ambita-sandbox/ambita-sandbox"
  [[ -x "${host}" && -x "${sandbox}" ]] || die "built programs not found under ${build}/samples"
}

# Starts ${sandbox} on a free loopback port with fresh random credentials (the hosts get them
# from the environment only); sets sandbox_pid, api and push_secret and exports the AMBITA_*
# variables the shipped configurations read.
start_sandbox() {
  local client_secret api_password port
  client_secret="demo-secret-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  api_password="demo-password-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  push_secret="demo-push-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  "${sandbox}" --port 0 --client-secret "${client_secret}" --username ambita-api-user --password "${api_password}" \
    >"${logs}/sandbox.out" 2>"${logs}/sandbox.log" &
  sandbox_pid=$!
  port="$(wait_for_line "${logs}/sandbox.out" "ambita-sandbox listening on http://127.0.0.1:" "${sandbox_pid}")" ||
    die "the sandbox did not start"
  api="http://127.0.0.1:${port}"
  echo "sandbox: ${api}"
  export AMBITA_BASE_URL="${api}" AMBITA_CLIENT_ID="sandbox-client" AMBITA_CLIENT_SECRET="${client_secret}"
  export AMBITA_USERNAME="ambita-api-user" AMBITA_PASSWORD="${api_password}"
  export AMBITA_PUSH_SECRET="${push_secret}"
}

# A call to the sandbox's control API that must succeed; prints the answer.
control() {  # control METHOD PATH [JSON]
  curl -sS --fail-with-body -X "$1" -H 'Content-Type: application/json' --data "${3:-}" "${api}/_sandbox$2" ||
    die "sandbox control $1 $2 failed"
}

# The documents in ${archive}, without the target's bookkeeping (.dms-* files).
user_files() { find "${archive}" -type f ! -name '.dms-*' 2>/dev/null | sort; }

# Waits until ${archive} holds COUNT documents and no temporary; WHAT says what that means.
wait_for_files() {  # wait_for_files COUNT WHAT
  for _ in $(seq 1 300); do
    if [[ "$(user_files | wc -l)" -eq "$1" && -z "$(find "${archive}" -name '.dms-tmp-*' -print -quit 2>/dev/null)" ]]; then
      echo "archive: $1 file(s) - $2"
      return 0
    fi
    sleep 0.1
  done
  die "expected $1 file(s) in ${archive} ($2), found $(user_files | wc -l)"
}

# Prints every document in ${archive} with its metadata (user.dms.* extended attributes, or the
# sidecar file where the filesystem has none).
print_archive() {
  while IFS= read -r file; do
    echo "${file}"
    attributes=""
    if command -v getfattr >/dev/null; then
      attributes="$(getfattr --absolute-names -e text -d -m '^user\.dms\.' "${file}" 2>/dev/null | grep -v '^#' || true)"
    fi
    if [[ -n "${attributes}" ]]; then
      grep . <<<"${attributes}" | sed 's/^user\.dms\./    /'
    else
      sidecar="$(dirname "${file}")/.dms-meta-$(basename "${file}").json"
      [[ -f "${sidecar}" ]] && sed 's/^/    /' "${sidecar}"
    fi
  done < <(user_files)
}
