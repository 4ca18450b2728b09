// Starts the mock-authy binary (MOCK_AUTHY_BIN, else target/debug/mock-authy) on a free port for
// one test file, and drives its control API. Shared by the client tests.
"use strict";
const { spawn } = require("node:child_process");
const path = require("node:path");
const readline = require("node:readline");

const BIN = process.env.MOCK_AUTHY_BIN || path.join(__dirname, "..", "..", "target", "debug", "mock-authy");

// Resolves to { base, control, stop } once the mock prints its address (20 s at most).
async function startMock(key, seed) {
  const child = spawn(BIN, ["--listen", "127.0.0.1:0", "--api-key", key, "--seed", String(seed)], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = readline.createInterface({ input: child.stdout });
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("mock-authy did not start within 20 s")), 20000);
    child.once("exit", (code) => reject(new Error(`mock-authy exited with ${code}`)));
    lines.on("line", (line) => {
      const m = /^mock-authy listening on (http:\/\/\S+)$/.exec(line);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
  });
  const control = async (method, p) => {
    const r = await fetch(`${base}/__mock${p}`, { method });
    return r.status === 204 ? null : r.json();
  };
  return { base, control, stop: () => child.kill("SIGINT") };
}

module.exports = { startMock };
