// Each baseline, at its own usual settings, learns on the shipped arithmetic model in a short seeded run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseRunConfig } from "../../src/train/config.js";
import { train } from "../../src/train/trainer.js";

const runs: Array<[string, Record<string, unknown>]> = [
  ["grpo", { trainSize: 192, batchSize: 16, miniBatchSize: 16, epochs: 1 }],
  ["rloo", { trainSize: 192, batchSize: 16, miniBatchSize: 16, epochs: 1 }],
  ["rebel", { trainSize: 384, batchSize: 64, miniBatchSize: 64, epochs: 2 }],
  ["ppo", { trainSize: 384, batchSize: 64, miniBatchSize: 32, epochs: 2 }],
];

for (const [algo, settings] of runs) {
  test(`${algo} raises held-out accuracy in a short seeded run`, async () => {
    const dir = mkdtempSync(join(tmpdir(), `astarpo-${algo}-`));
    try {
      const result = await train(parseRunConfig({
        algo, model: "builtin:arithmetic", knobs: { digits: 1, steps: 2 }, outputDir: dir, name: algo, evalSize: 200, evalEvery: 0, saveEvery: 0, lr: 1e-4,
        ...settings,
      }));
      const before = result.evals[0].result.accuracy, after = result.evals.at(-1)!.result.accuracy;
      assert.equal(result.steps, 12);
      assert.ok(after >= before + 0.03, `held-out accuracy ${before} -> ${after}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
