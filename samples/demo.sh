#!/usr/bin/env bash
# The demo, one command on a fresh clone (Debian, root or sudo for the packages):
#
#   samples/demo.sh
#
# Installs the Debian packages that are missing, builds what the demo needs into build/, starts
# the Ambita sandbox on a free loopback port, places two orders with `dms-host order`, runs
# `dms-host run` (the sandbox pushes to the host's /ambita/push route) and drives the sandbox
# through its script: files arrive at both levels, the orders finish, a late file arrives after
# FINISHED, a file is withdrawn, the second order is cancelled. After each step it waits until
# the host has filed or removed accordingly. Then it stops everything and prints the archive
# ./demo-archive with each file's metadata, and `dms-host status`.
#
# Folders in the current directory: ./demo-archive (the archive), ./demo-data (the host's state:
# SQLite database, spool). Both are recreated on every run. The configuration is the shipped
# samples/config/sandbox.json; its secrets come from the environment, as in production.
#
# Environment: DMS_DEMO_BUILD_DIR (default <repo>/build); DMS_DEMO_SKIP_BUILD=1 skips the
# install and build step (CTest runs the demo that way as test e2e.demo).
# Exit code 0 when the archive ended up as expected.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DMS_DEMO_BUILD_DIR:-${root}/build}"
config="${root}/samples/config/sandbox.json"
archive="./demo-archive"
logs="$(mktemp -d "${TMPDIR:-/tmp}/dms-demo.XXXXXX")"

# shellcheck source=samples/demo-lib.sh
source "${root}/samples/demo-lib.sh"

# ---------------------------------------------------------------------------------------------
# 1. Packages and build: the same step as the tests (tests/run.sh), for the demo's targets only.
build_demo_programs

# ---------------------------------------------------------------------------------------------
# 2. Processes: every one we start is stopped on exit, whatever happens.
sandbox_pid=""
host_pid=""
cleanup() {
  local code=$?
  [[ -n "${host_pid}" ]] && kill -TERM "${host_pid}" 2>/dev/null && wait "${host_pid}" 2>/dev/null
  [[ -n "${sandbox_pid}" ]] && kill -TERM "${sandbox_pid}" 2>/dev/null && wait "${sandbox_pid}" 2>/dev/null
  rm -rf "${logs}"
  exit "${code}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "Starting the Ambita sandbox"
start_sandbox

dms() { "${host}" --config "${config}" "$@"; }

rm -rf ./demo-archive ./demo-data

# ---------------------------------------------------------------------------------------------
# 3. Orders, placed through the host like an integrator would.
say "Placing two orders with dms-host order"
order_output() {
  dms order --kind cadastre --cadastre 9999-1-1-0-0 --address "Infoveien 1, 9999 Infoland" \
    --product WI99990033 --reference "$1" --technical-reference "$2" 2>>"${logs}/host-commands.log"
}
out="$(order_output oppdrag-2024-117 dms-case-8812)" || die "dms-host order failed: ${out}"
echo "${out}"
first="${out##*order created: }"
out="$(order_output oppdrag-2024-118 dms-case-8813)" || die "dms-host order failed: ${out}"
echo "${out}"
second="${out##*order created: }"
control POST "/orders/${first}/script" '{"extraSteps": ["fileAfterFinished", "withdraw"]}' >/dev/null
control POST "/orders/${second}/script" '{"extraSteps": ["cancel"]}' >/dev/null

say "Starting dms-host run (push callbacks from the sandbox)"
# Started directly (not through the dms function, whose subshell would take the signals).
"${host}" --config "${config}" run >"${logs}/host.out" 2>"${logs}/host.log" &
host_pid=$!
listen="$(wait_for_line "${logs}/host.out" "dms-host listening on " "${host_pid}")" || die "dms-host run did not start"
echo "dms-host: ${listen}"
# The push route takes only callbacks that carry the shared secret (ambita.push.secret).
control POST /push-url "{\"url\": \"${listen}/ambita/push?token=${push_secret}\"}" >/dev/null

# ---------------------------------------------------------------------------------------------
# 4. The script, step by step; after each milestone wait for the host to catch up.
step() {  # step ORDER -> prints the step that ran
  control POST "/orders/$1/step" '{"count": 1}' | grep -o '"ran":\[[^]]*\]' | sed 's/"ran":\[\(.*\)\]/\1/;s/"//g'
}

say "Ambita delivers: progress, a file for the order, one file per order line, FINISHED"
for _ in 1 2 3 4 5 6 7; do
  a="$(step "${first}")"
  b="$(step "${second}")"
  echo "order ${first}: ${a:-(nothing)}    order ${second}: ${b:-(nothing)}"
  sleep 0.2
done
wait_for_files 10 "5 per order, at the supplier-order and the order-line level"

say "A late file arrives after FINISHED (order ${first})"
echo "order ${first}: $(step "${first}")"
wait_for_files 11 "Tilleggsopplysninger.pdf filed"

say "Ambita withdraws that file again (order ${first})"
echo "order ${first}: $(step "${first}")"
wait_for_files 10 "the withdrawn file removed"
[[ "$(user_files | grep -c Tilleggsopplysninger || true)" == 0 ]] || die "the withdrawn file is still in the archive"

say "Order ${second} is cancelled"
echo "order ${second}: $(step "${second}")"
wait_for_files 5 "the cancelled order's files removed"

say "Stopping dms-host (SIGTERM) and the sandbox"
kill -TERM "${host_pid}"
wait "${host_pid}" || die "dms-host run exited with an error"
host_pid=""
kill -TERM "${sandbox_pid}"
wait "${sandbox_pid}" || true
sandbox_pid=""

# ---------------------------------------------------------------------------------------------
# 5. The result.
say "The archive ${archive}, with each file's metadata"
print_archive

say "dms-host status"
dms status 2>>"${logs}/host-commands.log" || die "dms-host status failed"
say "dms-host verify"
dms verify 2>>"${logs}/host-commands.log" || die "dms-host verify found problems"
say "Done: ./demo-archive holds the filed documents, ./demo-data the host's state"
