#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 30) with libFuzzer through cargo fuzz, on
# the stable toolchain (RUSTC_BOOTSTRAP=1 lets cargo fuzz pass its -Z flags), as many at once as
# there are cores (each target gets its full time on a core of its own). A crash fails the run,
# and its input is copied to fuzz/regressions/<target>/ so `cargo test` replays it after.
# FUZZ_SANITIZER picks cargo fuzz's sanitizer (default `address`; CI's short smoke run uses
# `none`: the targets are safe Rust, whose faults are panics libFuzzer catches either way, and
# the build is much quicker without the instrumentation). FUZZ_PROFILE picks the build
# (default `release`; CI's smoke run uses `dev`: unoptimised, so it builds in two thirds of the
# time, and with overflow checks on, which only makes a smoke run stricter).
set -euo pipefail
secs=${1:-30}
cd "$(dirname "$0")/../fuzz"
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
san=${FUZZ_SANITIZER:-address}
case ${FUZZ_PROFILE:-release} in
  release) opt=-O ;;
  dev) opt=--dev ;;
  *) echo "FUZZ_PROFILE is release or dev" >&2; exit 2 ;;
esac
cargo fuzz build "$opt" -s "$san"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

# One target: its log in $results/<target>.log, and $results/<target>.crash if it crashed.
run_one() {
  local t=$1
  mkdir -p "corpus/$t"
  if ! cargo fuzz run "$opt" -s "$san" "$t" "corpus/$t" "seeds/$t" -- -max_total_time="$secs" -max_len=4096 \
      >"$results/$t.log" 2>&1; then
    touch "$results/$t.crash"
  fi
}

lanes=$(nproc)
for t in $(cargo fuzz list); do
  run_one "$t" &
  while [ "$(jobs -rp | wc -l)" -ge "$lanes" ]; do wait -n || true; done
done
wait

failed=()
for t in $(cargo fuzz list); do
  if [ -e "$results/$t.crash" ]; then
    echo "fuzz $t: CRASH"
    tail -40 "$results/$t.log"
    mkdir -p "regressions/$t"
    cp artifacts/"$t"/* "regressions/$t/" 2>/dev/null || true
    failed+=("$t")
  else
    echo "fuzz $t: $(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$results/$t.log" | tail -1)s, no crash"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz targets with crashes: ${failed[*]} (inputs saved under fuzz/regressions/)"
  exit 1
fi
