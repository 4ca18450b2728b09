#!/usr/bin/env bash
# Reproduces every figure in BENCHMARKS.md: about 4 minutes on 2 cores. Every figure comes with
# a baseline measured in the same run, since these machines are shared and noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
echo "== protected-route overhead"
cargo bench -q -p tower-authy --bench overhead 2>/dev/null
echo "== logins, approval latency, scale"
cargo bench -q -p tower-authy --bench login 2>/dev/null
echo "== a crowd of 10,000 browsers on the event stream"
cargo bench -q -p tower-authy --bench crowd 2>/dev/null
echo "== complete logins per second per provider (section 10)"
cargo bench -q -p tower-authy --all-features --bench providers 2>/dev/null
echo "== the demo under 1,000 concurrent logins: RSS and latency (section 11)"
cargo bench -q -p demo --bench login_flood 2>/dev/null
# The ten-minute soak (section 12) is one command away, not part of this script:
#   cargo bench -p demo --bench soak

echo "== mock-authy throughput (release binary, wrk -t1 -c32 -d5s)"
cargo build -q --release -p mock-authy
log=$(mktemp)
./target/release/mock-authy --listen 127.0.0.1:0 --api-key bench --seed 1 >"$log" 2>/dev/null &
mock=$!
trap 'kill $mock 2>/dev/null' EXIT
for _ in $(seq 50); do grep -q listening "$log" && break; sleep 0.1; done
base=$(sed -n 's/^mock-authy listening on //p' "$log")
id=$(curl -s -H 'X-Authy-API-Key: bench' -d 'user[email]=b@x.io&user[cellphone]=5550001111&user[country_code]=1' "$base/protected/json/users/new" | sed 's/.*"id":\([0-9]*\).*/\1/')
lua=$(mktemp --suffix=.lua)
printf 'wrk.method = "POST"\nwrk.body = "message=Log+in%%3F&details%%5BEmail%%5D=b%%40x.io"\nwrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n' >"$lua"
rps() { wrk -t1 -c32 -d5s -H 'X-Authy-API-Key: bench' "$@" | sed -n 's/^Requests\/sec: *//p'; }
baseline=$(rps "$base/protected/json/app/details")
verify=$(rps "$base/protected/json/verify/0000000/$id?force=true")
create=$(rps -s "$lua" "$base/onetouch/json/users/$id/approval_requests")
awk -v b="$baseline" -v v="$verify" -v c="$create" 'BEGIN {
  printf "  app/details (baseline)        %8.0f /s   1.000\n", b
  printf "  verify (wrong token, force)   %8.0f /s   %.3f\n", v, v / b
  printf "  approval request creation     %8.0f /s   %.3f\n", c, c / b }'
