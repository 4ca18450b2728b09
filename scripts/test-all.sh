#!/usr/bin/env bash
# Every test in the workspace: Rust unit, integration and doc tests, then the third-party Authy
# clients from npm and PyPI against the mock-authy binary. Installs what the tests need first
# (Node.js with npm, Python's venv, Debian's chromium, chromium-driver and redis-server), exactly
# as CI does, so that this one command is the whole set-up on a fresh Debian machine with the
# stable Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
# The demo's browser test drives Debian's headless Chromium.
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
# The Redis suites start their own redis-server (no daemon is used or started).
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]} (apt)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}"
fi
# With everything installed, a missing browser or Redis is a failure, not a skip.
export REQUIRE_BROWSER=1 REQUIRE_REDIS=1

cargo test --workspace --all-targets
cargo test --workspace --doc

# cargo test built target/debug/mock-authy; the npm and PyPI clients run against that binary.
export MOCK_AUTHY_BIN="$PWD/target/debug/mock-authy"
venv=target/python-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/python/requirements.txt
"$venv/bin/python" -m unittest discover -s tests/python -v
cd tests/npm
npm ci --no-audit --no-fund --loglevel=error
npm test
