// bin/astarpo.js as a process: main()'s CliError becomes the exit code and
// one line on stderr, with a stack only with ASTARPO_DEBUG.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

function astarpo(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const { ASTARPO_DEBUG: _debug, ...inherited } = process.env;
  // tsx and from-sources.mjs run the bin on the sources under test rather than on the build in dist/.
  const child = spawnSync(process.execPath, ["--import", "tsx", "--import", "./test/cli/from-sources.mjs", join("bin", "astarpo.js"), ...args], {
    env: { ...inherited, ...env }, encoding: "utf8", timeout: 60_000,
  });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

test("astarpo exits 0 with the command's output", () => {
  assert.deepEqual(astarpo(["verify", "--gold", "1/2", "--pred", "0.5"]), { status: 0, stdout: "true\n", stderr: "" });
});

test("a bad flag exits 2 with one line on stderr and no stack", () => {
  assert.deepEqual(astarpo(["sft", "--steps", "many"]), {
    status: 2, stdout: "", stderr: "astarpo sft: --steps many: expected a non-negative integer (see astarpo sft --help)\n",
  });
});

test("a failing command exits 1; ASTARPO_DEBUG=1 adds the stack", () => {
  const { status, stdout, stderr } = astarpo(["data", "inspect", join("test", "no-such-file.jsonl"), "--task", "gsm8k"], { ASTARPO_DEBUG: "1" });
  assert.equal(status, 1);
  assert.equal(stdout, "");
  assert.match(stderr, /^astarpo data inspect: test\/no-such-file\.jsonl: cannot read[^\n]*\n\w*Error: test\/no-such-file\.jsonl/);
  assert.match(stderr, /^\s+at /m);
});
