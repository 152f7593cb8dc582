// The same seed and config give the same run: every metric but the timings, and every stored rollout.
// A run that crashed after a checkpoint resumes to the same rows, each step's once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseRunConfig } from "../../src/train/config.js";
import { readMetrics, type MetricsRecord } from "../../src/train/metrics.js";
import { RolloutReader } from "../../src/train/rollout-store.js";
import { train } from "../../src/train/trainer.js";

const config = (outputDir: string, name: string) => parseRunConfig({
  algo: "grpo", model: "builtin:arithmetic", knobs: { digits: 1, steps: 2 }, outputDir, name, trainSize: 32, evalSize: 8,
  batchSize: 4, miniBatchSize: 2, numGenerations: 4, maxSteps: 4, evalEvery: 2, saveEvery: 2, lr: 1e-4,
});

/** A run's metrics without the timings (they differ from run to run), and its stored rollouts without the run's name. */
function outcome(runDir: string): { metrics: MetricsRecord[]; rollouts: unknown[] } {
  const timing = (key: string) => key.endsWith("_s") || key === "tokens_per_s";
  const metrics = readMetrics(join(runDir, "metrics.jsonl")).map((r) => Object.fromEntries(Object.entries(r).filter(([key]) => !timing(key))));
  const reader = RolloutReader.open(join(runDir, "rollouts.sqlite"));
  try {
    return { metrics, rollouts: reader.query({ step: "all", order: "sampled" }).map(({ run: _run, ...row }) => row) };
  } finally {
    reader.close();
  }
}

test("two runs of the same seed and config give the same metrics (timings aside) and the same rollouts; a crashed run resumes to them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-repro-"));
  try {
    const first = outcome((await train(config(dir, "first"))).runDir);
    const second = outcome((await train(config(dir, "second"))).runDir);
    assert.equal(first.metrics.length, 5);
    assert.equal(first.rollouts.length, 4 * 4 * 4, "4 steps of 4 prompts x 4 responses");
    assert.deepEqual(second, first);

    // Step 3 is stored, then the process dies before its checkpoint: the resumed run drops it and samples it again.
    const crashed = config(dir, "crashed");
    await assert.rejects(train(crashed, { onStep: (r) => { if (r.step === 3) throw new Error("crash"); } }), /crash/);
    assert.deepEqual(readdirSync(join(dir, "crashed", "checkpoints")), ["step-000002"]);
    await train(crashed, { resume: true });
    assert.deepEqual(outcome(join(dir, "crashed")), first);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
