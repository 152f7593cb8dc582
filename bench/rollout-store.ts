// What keeping every rollout costs a training step.
//   npm run bench -- rollout-store [--json] [--steps N]
// 1. A GRPO run on the shipped arithmetic model: the store's write time per
//    step (rollouts_s, measured inside the step) against the step's own time.
//    Measured inside the same steps because two whole runs, with the store and
//    without, differ by more than that from noise alone on a shared machine.
// 2. A MATH-sized rollout batch written on its own: 256 responses of ~1,000
//    tokens (4 KB of text each), against the seconds a step of that size takes
//    (a 1.5B model samples them in tens of seconds at best).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Report } from "./report.js";
import type { RolloutBatch, RolloutSequence } from "../src/algos/index.js";
import { parseRunConfig } from "../src/train/config.js";
import { readMetrics } from "../src/train/metrics.js";
import type { PromptItem } from "../src/train/prompts.js";
import { RolloutStore } from "../src/train/rollout-store.js";
import { train } from "../src/train/trainer.js";

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function stepTimes(dir: string, name: string, steps: number): Promise<{ step: number; store: number }> {
  const result = await train(parseRunConfig({
    algo: "grpo", model: "builtin:arithmetic", knobs: { digits: 1, steps: 2 }, outputDir: dir, name, trainSize: 256, evalSize: 0,
    batchSize: 16, miniBatchSize: 16, numGenerations: 8, maxSteps: steps, saveEvery: 0, lr: 1e-4,
  }));
  // The first step warms caches; it is left out.
  const records = readMetrics(join(result.runDir, "metrics.jsonl")).filter((r) => (r.step as number) > 1);
  return { step: mean(records.map((r) => r.step_s as number)), store: mean(records.map((r) => r.rollouts_s as number)) };
}

function mathSizedBatch(responses: number, groupSize: number): { batch: RolloutBatch; prompts: PromptItem[] } {
  const text = "We compute the sum step by step, checking each term against the bound. ".repeat(56);
  const tokens = 1000;
  const prompts = Array.from({ length: responses / groupSize }, (_, g) => ({
    example: { id: `math:${g}:0123456789ab`, prompt: `Problem ${g}: ${text.slice(0, 600)}`, answer: "\\frac{1}{2}", columns: { answer: "\\frac{1}{2}", level: "Level 5" },
      reward: "math", source: { file: "<bench>", row: g } },
    text: `Problem ${g}: ${text.slice(0, 600)}`, ids: Array.from({ length: 150 }, (_, i) => i),
  }));
  const sequences: RolloutSequence[] = Array.from({ length: responses }, (_, i) => ({
    group: Math.floor(i / groupSize), promptId: prompts[Math.floor(i / groupSize)].example.id, promptIds: prompts[0].ids,
    responseIds: Array.from({ length: tokens }, (_, t) => t), finished: i % 7 !== 0, text: `${text}\\boxed{${i % 3}}`,
    sampledLogprobs: Float32Array.from({ length: tokens }, (_, t) => -0.1 - (t % 5) * 0.01), reward: i % 2, rawReward: i % 2,
    refLogprobs: Float32Array.from({ length: tokens }, () => -0.12), vHat: 0.4, fixed: { advantage: (i % 2) - 0.4, refLogprob: -120 }, perToken: {},
  }));
  return { batch: { sequences, groups: prompts.length }, prompts };
}

export async function run(argv: string[]): Promise<void> {
  const json = argv.includes("--json");
  const stepsAt = argv.indexOf("--steps");
  const steps = stepsAt >= 0 ? Number(argv[stepsAt + 1]) : 12;
  if (!Number.isInteger(steps) || steps < 3) throw new Error(`--steps must be an integer >= 3, got ${argv[stepsAt + 1]}`);
  const report = new Report("rollout-store", json);
  const dir = mkdtempSync(join(tmpdir(), "astarpo-bench-store-"));
  try {
    const on = await stepTimes(dir, "on", steps);
    const config = `grpo, builtin:arithmetic, 16 prompts x 8 responses, ${steps} steps`;
    report.add("store write per step, against the step", on.store, "s", on.step, config);

    const { batch, prompts } = mathSizedBatch(256, 8);
    const store = RolloutStore.open(join(dir, "math.sqlite"), "bench", "grpo");
    const times: number[] = [];
    for (let step = 1; step <= 5; step++) {
      const start = performance.now();
      store.write(step, batch, prompts);
      times.push(performance.now() - start);
    }
    store.close();
    report.add("store write per step", Math.min(...times) / 1000, "s", null, "256 responses of 1,000 tokens (4 KB of text each), best of 5");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  report.finish();
}
