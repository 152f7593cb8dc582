import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QUICKSTART_ALGORITHMS, runQuickstart } from "../../src/cli/quickstart.js";

test("quickstart --quick trains the four algorithms from the shipped model and prints the comparison and the claim", async () => {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-quickstart-"));
  try {
    let stdout = "", stderr = "";
    const io = { stdout: (t: string) => { stdout += t; }, stderr: (t: string) => { stderr += t; } };
    assert.equal(await runQuickstart({ quick: true, outputDir: dir, name: "qs", progress: false }, io), true);
    const summary = JSON.parse(readFileSync(join(dir, "qs", "summary.json"), "utf8"));
    assert.deepEqual(summary.algorithms.map((a: { name: string }) => a.name), [...QUICKSTART_ALGORITHMS]);
    assert.equal(summary.steps, 4);
    for (const name of QUICKSTART_ALGORITHMS) {
      assert.match(stdout, new RegExp(`^${name}\\s+\\d+\\.\\d%\\s+\\d+\\.\\d%`, "m"), `${name}'s row`);
      assert.match(stdout, new RegExp(`\\[(holds|does not hold)\\] ${name} beats the reference`), `${name}'s claim line`);
    }
    assert.match(stdout, /\[(holds|does not hold)\] A\*-PO took [\d.]+ s with stage 1/);
    assert.match(stderr, /\[1\/4\] astar[\s\S]*stage 1: 64 prompts x 4 samples[\s\S]*\[4\/4\] rebel/);
    assert.ok(existsSync(join(dir, "qs", "quickstart.yaml")), "the config to run it again");
    assert.ok(existsSync(join(dir, "qs", "report.html")), "the report page");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
