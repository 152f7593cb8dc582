import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { comparisonTable } from "../../src/report/table.js";
import { compare } from "../../src/train/compare.js";
import { parseRunConfig } from "../../src/train/config.js";

test("compare runs every algorithm on the same prompts in the same order, writes the summary, and reads finished runs back", async () => {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-compare-"));
  try {
    const config = parseRunConfig({
      model: "builtin:arithmetic", knobs: { digits: 1, steps: 2 }, outputDir: dir, name: "cmp", trainSize: 32, evalSize: 8, evalKl: false,
      batchSize: 8, miniBatchSize: 8, maxSteps: 2, numValueSamples: 2, numGenerations: 2, numPpoEpochs: 1, filterAllWrong: false, lr: 1e-4,
      evalEvery: 0, saveEvery: 0,
    });
    const seen = new Map<string, string[][]>();
    const summary = await compare(config, ["astar", "grpo", "ppo", "rebel"], {
      onRollout: (name, batch) => {
        const prompts = Array.from({ length: batch.groups }, (_, g) => batch.sequences.find((s) => s.group === g)!.promptId);
        seen.set(name, [...(seen.get(name) ?? []), prompts]);
      },
    });
    assert.ok(summary !== null);
    const orders = [...seen.values()];
    assert.equal(orders.length, 4);
    assert.equal(orders[0].length, 2, "two steps");
    for (const order of orders.slice(1)) assert.deepEqual(order, orders[0]);

    const written = JSON.parse(readFileSync(join(dir, "cmp", "summary.json"), "utf8")) as { algorithms: Array<Record<string, unknown>> };
    assert.deepEqual(written, summary);
    assert.deepEqual(written.algorithms.map((a) => a.name), ["astar", "grpo", "ppo", "rebel"]);
    for (const a of written.algorithms) {
      for (const key of ["accuracy_base", "accuracy", "wall_s", "sample_s", "reward_s", "reference_s", "train_s", "peak_memory_bytes", "generated_tokens"]) {
        assert.equal(typeof a[key], "number", `${a.name}: ${key}`);
      }
      assert.equal(a.steps, 2);
      assert.equal(a.accuracy_base, written.algorithms[0].accuracy_base, "every run starts from the same model, evaluated on the same prompts");
    }
    const astar = written.algorithms[0];
    assert.ok((astar.stage1_s as number) > 0 && written.algorithms.slice(1).every((a) => a.stage1_s === 0), "only A*-PO pays for stage 1");
    // GRPO samples 2 responses per prompt, REBEL 2, PPO and A*-PO 1 (plus A*-PO's stage 1).
    assert.ok((written.algorithms[1].generated_tokens as number) > (written.algorithms[2].generated_tokens as number));
    assert.match(comparisonTable(summary!), /^astar\s+\d+\.\d%/m);

    let trained = 0;
    const again = await compare(config, ["astar", "grpo", "ppo", "rebel"], { onStep: () => trained++ });
    assert.equal(trained, 0, "finished runs are read back, not trained again");
    assert.deepEqual(again, summary);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
