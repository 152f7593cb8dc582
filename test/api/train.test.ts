// The library's entry points: configs as the command line reads them, rewards
// and rows given from code, events, and a run stopped by its signal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { computeValues, ConfigError, evaluate, rewardPerItem, RolloutReader, ROLLOUTS_FILE, train, type RewardBatch, type RewardFn, type StepMetrics } from "../../src/index.js";

const SMALL = {
  model: "builtin:arithmetic", knobs: { digits: 1, steps: 2 }, trainSize: 16, evalSize: 8, numValueSamples: 2,
  batchSize: 8, miniBatchSize: 8, microBatchSize: 8, maxSteps: 2, evalEvery: 0, saveEvery: 0, lr: 1e-4, filterAllWrong: false,
};

function withDir(body: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "astarpo-api-"));
    try {
      await body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** The arithmetic model's answer line, `#### n`, as a number; null when there is none. */
const answerOf = (text: string): number | null => {
  const match = /#### (-?\d+)/.exec(text);
  return match === null ? null : Number(match[1]);
};

test("train() with weighted rewards given from code, sync and async: both see every response with its columns and prompt id; events for steps, evaluations and checkpoints with their typed metrics", withDir(async (dir) => {
  const batches: RewardBatch[] = [];
  const correct = rewardPerItem((completion, columns) => (answerOf(completion.text) === Number(columns.answer) ? 1 : 0));
  const brevity = rewardPerItem(async (completion) => (completion.tokenIds.length < 20 ? 1 : 0), { concurrency: 2 });
  const steps: StepMetrics[] = [];
  const evals: Array<{ step: number; accuracy: number }> = [];
  const checkpoints: string[] = [];
  const result = await train({ ...SMALL, outputDir: dir, name: "custom" }, {
    reward: [{ fn: (batch) => { batches.push(batch); return correct(batch); }, weight: 1 }, { fn: brevity, weight: 0.1, name: "brevity" }],
    onStep: (metrics) => steps.push(metrics),
    onEval: ({ step, result: e, metrics }) => { evals.push({ step, accuracy: metrics.eval_accuracy }); assert.equal(metrics.eval_accuracy, e.accuracy); },
    onCheckpoint: ({ path }) => checkpoints.push(path),
  });
  assert.equal(result.steps, 2);
  assert.deepEqual(steps.map((m) => m.step), [1, 2]);
  assert.equal(typeof steps[0].reward, "number");
  assert.equal(typeof steps[0]["completions/mean_length"], "number");
  assert.equal(typeof steps[0]["rewards/custom/mean"], "number", "a weighted list's values are named custom");
  assert.equal(typeof steps[0].v_star, "number", "the algorithm's own metrics arrive too");
  assert.deepEqual(evals.map((e) => e.step), [0, 2]);
  assert.equal(steps[1].eval_accuracy, evals[1].accuracy, "a step with an evaluation carries its metrics");
  const rollouts = RolloutReader.open(join(result.runDir, ROLLOUTS_FILE));
  try {
    const kept = rollouts.query({ step: 2, order: "sampled" });
    assert.equal(kept.length, 8, "every response of the step is kept");
    assert.deepEqual(Object.keys(JSON.parse(kept[0].reward_inputs)), Object.keys(batches[0].columns[0]), "beside what the reward read");
  } finally {
    rollouts.close();
  }
  assert.deepEqual(checkpoints, [join(result.runDir, "checkpoints", "step-000002")]);
  // Stage 1 (16 prompts x 2 samples), two steps of 8 responses, two evaluations of 8 greedy responses.
  assert.deepEqual(batches.map((b) => b.completions.length).sort((a, b) => a - b).slice(0, 4), [8, 8, 8, 8]);
  for (const batch of batches) {
    assert.ok(batch.columns.every((c) => typeof c.answer === "string"), "the task's ground truth reaches the reward");
    assert.ok(batch.ids?.every((id) => /^arithmetic:\d+:[0-9a-f]{12}$/.test(id)), "each response names its prompt");
  }
  // The shipped model answers some problems right: the combined reward is 1.x for those.
  assert.ok(steps.some((m) => m.reward > 0.5), `rewards ${steps.map((m) => m.reward)}`);
}));

test("rows made in code with the custom task, trained by RLOO with a named reward; aborting stops after the current step with a checkpoint, and the run resumes", withDir(async (dir) => {
  async function* rows() {
    for (let a = 1; a <= 9; a++) for (let b = 1; b <= 3; b++) yield { prompt: `${a}+${b} = ?\n`, sum: a + b };
  }
  const sumReward = rewardPerItem(async (completion, columns) => (answerOf(completion.text) === columns.sum ? 1 : 0));
  const reward: RewardFn = (batch) => sumReward(batch);
  const config = { ...SMALL, algo: "rloo", numGenerations: 2, task: "custom", trainSize: 16, evalSize: 8, maxSteps: 3, outputDir: dir, name: "rows" };
  const stop = new AbortController();
  const steps: StepMetrics[] = [];
  const first = await train(config, { dataset: { train: rows() }, reward, signal: stop.signal, onStep: (m) => { steps.push(m); stop.abort(); } });
  assert.equal(typeof steps[0]["rewards/reward/mean"], "number", "the reward's values under its function's name");
  assert.equal(typeof steps[0].frac_reward_zero_std, "number", "RLOO's own metrics");
  assert.equal(first.stopped, true);
  assert.equal(first.steps, 1);
  assert.deepEqual(readdirSync(join(first.runDir, "checkpoints")), ["step-000001"]);
  const resumed = await train(config, { dataset: { train: rows() }, reward, resume: true });
  assert.deepEqual([resumed.stopped, resumed.steps], [false, 3]);

  const evaluation = await evaluate({ model: resumed.modelDir, task: "custom", size: 5 }, { rows: rows(), reward });
  assert.equal(evaluation.prompts, 5);
  assert.equal(evaluation.samples[0].prompt, "1+1 = ?");
}));

test("a config from code is checked as the command line's: bad keys, a custom task without a reward, rows beside a data file", async () => {
  await assert.rejects(train({ model: "builtin:arithmetic", seeds: 1 } as never), (error: Error) =>
    error instanceof ConfigError && /unknown option "seeds" \(did you mean "seed"\?\)/.test(error.message));
  await assert.rejects(train({ model: "builtin:arithmetic", task: "custom" }, { dataset: { train: [] } }), /task "custom" is scored by a reward function given from code/);
  await assert.rejects(train({ model: "builtin:arithmetic", task: "gsm8k", data: "x.jsonl" }, { dataset: { train: [] } }), /the rows given from code are the data: drop option "data"/);
  await assert.rejects(train({ model: "builtin:arithmetic" }, { dataset: { train: [] } }), /task "arithmetic" is built in and reads no rows/);
  await assert.rejects(computeValues({ model: "builtin:arithmetic", batchSize: 3, miniBatchSize: 2 }), /"batchSize" \(3\) must be a multiple of "miniBatchSize" \(2\)/);
  await assert.rejects(evaluate({ model: "builtin:arithmetic", size: 0 }), /option "size": Too small/);
});
