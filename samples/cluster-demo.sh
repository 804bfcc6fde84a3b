#!/usr/bin/env bash
# Several hosts, one state (issue 11), one command on a fresh clone (Debian, root or sudo):
#
#   samples/cluster-demo.sh
#
# Builds what it needs (as samples/demo.sh does), starts a throwaway PostgreSQL 15 on a free
# loopback port (initdb and pg_ctl, as `nobody` when run as root: initdb refuses root), the
# Ambita sandbox, and three `dms-host run` processes sharing that database and one archive
# folder, each with its own data folder. The sandbox pushes to the three in turn. Three orders
# are delivered step by step; half way one host is killed (SIGKILL) and the two others carry on.
# Then everything stops and the archive ./cluster-archive is printed with its metadata, followed
# by `dms-host status` and `dms-host verify` (run from any host: they share the state).
#
# Folders in the current directory: ./cluster-archive and ./cluster-data/host-N (recreated on
# every run); the database is removed at the end. Configuration: samples/config/cluster.json.
# Environment: DMS_DEMO_BUILD_DIR (default <repo>/build); DMS_DEMO_SKIP_BUILD=1 skips the
# install and build step. Exit code 0 when the archive ended up as expected.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DMS_DEMO_BUILD_DIR:-${root}/build}"
config="${root}/samples/config/cluster.json"
archive="./cluster-archive"
logs="$(mktemp -d "${TMPDIR:-/tmp}/dms-cluster-demo.XXXXXX")"
chmod 0755 "${logs}"
# shellcheck source=samples/demo-lib.sh
source "${root}/samples/demo-lib.sh"

build_demo_programs
pg_bin="/usr/lib/postgresql/15/bin"
[[ -x "${pg_bin}/initdb" ]] || die "PostgreSQL 15 is missing: install the Debian package postgresql-15"

# Every process we start is stopped on exit, whatever happens.
sandbox_pid=""
host_pids=("" "" "")
pg_data="${logs}/pg"
as_pg_user() { if [[ "$(id -u)" == 0 ]]; then runuser -u nobody -- "$@"; else "$@"; fi; }
cleanup() {
  local code=$?
  for pid in "${host_pids[@]}"; do
    [[ -n "${pid}" ]] && kill -TERM "${pid}" 2>/dev/null && wait "${pid}" 2>/dev/null
  done
  [[ -n "${sandbox_pid}" ]] && kill -TERM "${sandbox_pid}" 2>/dev/null && wait "${sandbox_pid}" 2>/dev/null
  [[ -f "${pg_data}/postmaster.pid" ]] && as_pg_user "${pg_bin}/pg_ctl" -D "${pg_data}" -m immediate stop >/dev/null 2>&1
  rm -rf "${logs}"
  exit "${code}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "Starting a throwaway PostgreSQL 15"
mkdir -p "${pg_data}" && chown "$( [[ "$(id -u)" == 0 ]] && echo nobody || id -un)" "${pg_data}"
as_pg_user "${pg_bin}/initdb" -D "${pg_data}" -U postgres --auth=trust >"${logs}/initdb.log" 2>&1 ||
  die "initdb failed"
pg_port=""
for _ in $(seq 1 20); do
  candidate=$((20000 + RANDOM % 30000))
  if as_pg_user "${pg_bin}/pg_ctl" -D "${pg_data}" -w -t 30 -l "${pg_data}/postgres.log" \
    -o "-p ${candidate} -k ${pg_data} -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null; then
    pg_port="${candidate}"
    break
  fi
done
[[ -n "${pg_port}" ]] || die "PostgreSQL did not start"
"${pg_bin}/psql" -h 127.0.0.1 -p "${pg_port}" -U postgres -q -c "CREATE DATABASE ambita" postgres ||
  die "cannot create the database"
export AMBITA_STATE_URL="postgresql://postgres@127.0.0.1:${pg_port}/ambita"
echo "state: ${AMBITA_STATE_URL}"

say "Starting the Ambita sandbox"
start_sandbox
dms() { DMS_HOST_DATA_DIR="./cluster-data/host-1" "${host}" --config "${config}" "$@"; }
rm -rf ./cluster-archive ./cluster-data

say "Placing three orders with dms-host order (host 1)"
orders=()
for n in 1 2 3; do
  out="$(dms order --kind cadastre --cadastre 9999-1-1-0-0 --address "Infoveien ${n}, 9999 Infoland" \
    --product WI99990033 --reference "oppdrag-klynge-${n}" --technical-reference "sak-${n}" \
    2>>"${logs}/host-commands.log")" || die "dms-host order failed: ${out}"
  orders+=("${out##*order created: }")
  echo "order ${orders[-1]} placed"
done

say "Starting three dms-host run processes on one database and one archive"
push_urls=""
for n in 1 2 3; do
  DMS_HOST_DATA_DIR="./cluster-data/host-${n}" "${host}" --config "${config}" run \
    >"${logs}/host-${n}.out" 2>"${logs}/host-${n}.log" &
  host_pids[n - 1]=$!
  listen="$(wait_for_line "${logs}/host-${n}.out" "dms-host listening on " "${host_pids[n - 1]}")" ||
    die "dms-host run (host ${n}) did not start"
  echo "host ${n}: ${listen}"
  push_urls+="${push_urls:+,}${listen}/ambita/push?token=${push_secret}"
done
control POST /push-url "{\"url\": \"${push_urls}\"}" >/dev/null
echo "the sandbox pushes to the three in turn"

step_all() {
  for order in "${orders[@]}"; do control POST "/orders/${order}/step" '{"count": 1}' >/dev/null; done
  sleep 0.2
}

say "Ambita delivers: three steps of every order"
for _ in 1 2 3; do step_all; done

say "Host 2 dies (SIGKILL); hosts 1 and 3 carry on"
kill -KILL "${host_pids[1]}"
wait "${host_pids[1]}" 2>/dev/null || true
host_pids[1]=""
# Pushes sent to host 2 from now on are refused; its messages already in the shared inbox, and
# its leases (released with its connections), are taken over by the others.
control POST /push-url "{\"url\": \"${push_urls%%,*},${push_urls##*,}\"}" >/dev/null
for _ in 1 2 3 4; do step_all; done
wait_for_files 15 "5 per order, filed by the hosts that are alive"

say "Stopping the hosts (SIGTERM) and the sandbox"
for n in 0 2; do
  kill -TERM "${host_pids[n]}"
  wait "${host_pids[n]}" || die "dms-host run (host $((n + 1))) exited with an error"
  host_pids[n]=""
done
# Host 2 restarted alone cleans what its killed put may have left (no other process files).
DMS_HOST_DATA_DIR="./cluster-data/host-2" "${host}" --config "${config}" sync >>"${logs}/host-commands.log" 2>&1 ||
  die "dms-host sync (host 2) failed"
wait_for_files 15 "nothing more to do, no temporary left"
kill -TERM "${sandbox_pid}"
wait "${sandbox_pid}" || true
sandbox_pid=""

say "The archive ${archive}, with each file's metadata"
print_archive
say "dms-host status (any host: they share the state)"
dms status 2>>"${logs}/host-commands.log" || die "dms-host status failed"
say "dms-host verify"
dms verify 2>>"${logs}/host-commands.log" || die "dms-host verify found problems"
say "Done: ./cluster-archive holds the filed documents; the database is removed"
