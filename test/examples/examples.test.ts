// Every program in examples/ runs in its --quick size, importing the package
// by its name (pointed at the sources under test), from a scratch folder as
// its working directory: what it prints and the run it leaves are checked, so
// an example cannot drift from the API.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

function runExample(name: string): { stdout: string; cwd: string } {
  const cwd = mkdtempSync(join(tmpdir(), "astarpo-example-"));
  const child = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), "--import", resolve("test/cli/from-sources.mjs"),
    resolve("examples", name), "--quick"], { cwd, encoding: "utf8", timeout: 120_000 });
  assert.equal(child.status, 0, `${name} failed:\n${child.stderr}`);
  return { stdout: child.stdout, cwd };
}

function checkExample(name: string, run: string, expected: RegExp[]): void {
  const { stdout, cwd } = runExample(name);
  try {
    for (const line of expected) assert.match(stdout, line);
    assert.ok(existsSync(join(cwd, "runs", run, "model", "model.safetensors")), `${name} saved no model`);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

test("examples/custom-reward.ts trains A*-PO on the built-in task with its own weighted rewards", () => {
  checkExample("custom-reward.ts", "example-custom-reward-quick", [
    /^held-out at step 0: mean reward [\d.]+ \(\d+ without an answer\)$/m, /^step 2: reward [\d.]+, KL /m, /^checkpoint .*step-000002$/m,
    /^trained 2 steps; the model is in /m,
  ]);
});

test("examples/jsonl-dataset.ts trains GRPO from a model folder on JSONL rows and evaluates the result", () => {
  checkExample("jsonl-dataset.ts", "example-jsonl-dataset-quick", [
    /^grpo: 8 training prompts, 8 held out, model .*models\/arithmetic/m, /^4 prompts: greedy accuracy [\d.]+, avg@4 [\d.]+, pass@4 [\d.]+$/m,
  ]);
});

test("examples/stage-one-server.ts samples stage 1 through an in-process server and trains from it", () => {
  checkExample("stage-one-server.ts", "example-stage-one-server-quick", [
    /^stage 1 through http:\/\/127\.0\.0\.1:\d+\/v1: 12 prompts x 2 samples, reference pass@1 [\d.]+/m, /^trained 1 steps; /m,
  ]);
});

test("the README's \"Use it from code\" shows examples/custom-reward.ts as it is", () => {
  const readme = readFileSync("README.md", "utf8");
  const section = readme.slice(readme.indexOf("## Use it from code"));
  const shown = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  const source = readFileSync(join("examples", "custom-reward.ts"), "utf8");
  assert.equal(shown, source.slice(source.indexOf("import ")));
});
