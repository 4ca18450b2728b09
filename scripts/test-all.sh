#!/usr/bin/env bash
# Every test in the workspace: Rust unit, integration and doc tests, then the third-party npm
# Authy client against the mock-authy binary. Offline apart from the npm registry on first run.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --workspace --all-targets
cargo test --workspace --doc

# cargo test built target/debug/mock-authy; the npm client runs against that binary.
export MOCK_AUTHY_BIN="$PWD/target/debug/mock-authy"
cd tests/npm
npm ci --no-audit --no-fund --loglevel=error
npm test
