"""Starts the mock-authy binary on a free loopback port, as a CI pipeline would.

MOCK_AUTHY_BIN names the binary (cargo test builds target/debug/mock-authy).
"""

import os
import selectors
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("MOCK_AUTHY_BIN", os.path.join(ROOT, "target", "debug", "mock-authy"))


def start(*flags):
    """The running process and its base URL; the first stdout line names the address."""
    mock = subprocess.Popen([BIN, "--listen", "127.0.0.1:0", *flags], stdout=subprocess.PIPE, text=True)
    selector = selectors.DefaultSelector()
    selector.register(mock.stdout, selectors.EVENT_READ)
    if not selector.select(timeout=20):
        mock.kill()
        raise RuntimeError("mock-authy did not start within 20 s")
    line = mock.stdout.readline().strip()
    prefix = "mock-authy listening on "
    if not line.startswith(prefix):
        mock.kill()
        raise RuntimeError(f"unexpected first line: {line!r}")
    return mock, line[len(prefix):]


def stop(mock):
    mock.terminate()
    mock.wait(timeout=20)
