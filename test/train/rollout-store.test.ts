import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { RolloutReader, RolloutStore } from "../../src/train/rollout-store.js";
import { sampleBatch, samplePrompts } from "./stored-rollouts.js";

test("the rollout store keeps each completion with its prompt, reward, the reward's inputs and the algorithm's values, and answers queries", () => {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-store-"));
  try {
    const path = join(dir, "rollouts.sqlite");
    const store = RolloutStore.open(path, "demo", "grpo");
    for (const step of [1, 2, 3]) store.write(step, sampleBatch(step - 1), samplePrompts);
    store.truncateAfter(2);
    store.close();

    // Any SQLite client reads it: the rows, their columns, no step past the truncation.
    const db = new Database(path, { readonly: true });
    const row = db.prepare("SELECT * FROM rollouts WHERE step = 1 AND group_index = 1 AND sample = 0").get() as Record<string, unknown>;
    db.close();
    assert.deepEqual(
      { ...row, logprob_mean: row.logprob_mean, fixed: JSON.parse(row.fixed as string), reward_inputs: JSON.parse(row.reward_inputs as string) },
      {
        run: "demo", step: 1, algo: "grpo", prompt_id: "arithmetic:1:bbb", group_index: 1, sample: 0, prompt: "2*3 = ?\n", completion: "#### 7",
        prompt_tokens: 1, completion_tokens: 2, finish_reason: "stop", reward: 0, reward_raw: 0, reward_inputs: { answer: "6" },
        v_hat: null, advantage: 0, implicit_reward: null, logprob_mean: -2, kl: 0, fixed: { advantage: 0 },
      });

    const reader = RolloutReader.open(path);
    try {
      assert.deepEqual(reader.steps(), { first: 1, last: 2, rows: 8 });
      // The newest step by default; best: reward, then advantage.
      assert.deepEqual(reader.query({ order: "best", limit: 2 }).map((r) => [r.step, r.completion, r.advantage]), [[2, "#### 5", 1.5], [2, "#### 6", 1]]);
      assert.deepEqual(reader.query({ order: "worst", limit: 1 }).map((r) => [r.completion, r.reward_raw]), [["no answer", null]]);
      assert.deepEqual(reader.query({ order: "latest", limit: 1 }).map((r) => [r.group_index, r.sample]), [[1, 1]]);
      assert.deepEqual(reader.query({ step: "all", finishReason: "length" }).map((r) => r.step), [2, 1]);
      assert.deepEqual(reader.query({ step: 1, minTokens: 3, maxTokens: 5 }).map((r) => r.completion), ["#### 5"]);
      assert.deepEqual(reader.query({ step: "all", minReward: 1, order: "sampled" }).map((r) => [r.step, r.prompt_id]),
        [[1, "arithmetic:0:aaa"], [1, "arithmetic:1:bbb"], [2, "arithmetic:0:aaa"], [2, "arithmetic:1:bbb"]]);
      // A prompt's history: every step, from a unique prefix of its id.
      assert.deepEqual(reader.query({ promptId: "arithmetic:1", order: "sampled" }).map((r) => [r.step, r.completion]),
        [[1, "#### 7"], [1, "#### 6"], [2, "#### 7"], [2, "#### 6"]]);
      assert.throws(() => reader.query({ promptId: "arithmetic:" }), /"arithmetic:" begins several prompt ids \(arithmetic:0:aaa, arithmetic:1:bbb\)/);
      assert.throws(() => reader.query({ promptId: "gsm8k" }), /no prompt id is or begins with "gsm8k"/);
      assert.deepEqual(reader.stepSummary(2), { samples: 4, reward: 0.5, tokens: 3.25, truncated: 0.25 });
    } finally {
      reader.close();
    }
    assert.throws(() => RolloutReader.open(join(dir, "missing.sqlite")), /missing\.sqlite: not a rollout store/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
