#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 30) with libFuzzer through cargo fuzz, on
# the stable toolchain (RUSTC_BOOTSTRAP=1 lets cargo fuzz pass its -Z flags). A crash fails the
# run, and its input is copied to fuzz/regressions/<target>/ so `cargo test` replays it after.
set -euo pipefail
secs=${1:-30}
cd "$(dirname "$0")/../fuzz"
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
cargo fuzz build -O
failed=()
for t in $(cargo fuzz list); do
  mkdir -p "corpus/$t"
  log=$(mktemp)
  if cargo fuzz run -O "$t" "corpus/$t" "seeds/$t" -- -max_total_time="$secs" -max_len=4096 >"$log" 2>&1; then
    echo "fuzz $t: $(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1)s, no crash"
  else
    echo "fuzz $t: CRASH"
    tail -40 "$log"
    mkdir -p "regressions/$t"
    cp artifacts/"$t"/* "regressions/$t/" 2>/dev/null || true
    failed+=("$t")
  fi
  rm -f "$log"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz targets with crashes: ${failed[*]} (inputs saved under fuzz/regressions/)"
  exit 1
fi
