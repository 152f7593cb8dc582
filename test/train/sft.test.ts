import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arithmeticTask, builtinExamples, BUILTIN_REWARDS } from "../../src/data/index.js";
import { createBuiltinModel } from "../../src/models/index.js";
import { memory } from "../../src/tensor/index.js";
import { buildBatch, supervisedFineTune } from "../../src/train/sft.js";
import { evaluate } from "../../src/train/evaluate.js";
import { promptItem } from "../../src/train/prompts.js";
import { runSft } from "../../src/cli/sft.js";

const knobs = { digits: 1, steps: 1 };

test("batches mask the prompt and padding out of the targets", () => {
  const { tokenizer, model } = createBuiltinModel("tiny", 3);
  const examples = [...take(builtinExamples(arithmeticTask, { config: knobs, seed: 5 }), 3)];
  const b = buildBatch(examples, tokenizer, 256);
  assert.equal(b.ids.length, b.rows * b.length);
  const counted = Array.from(b.targets).filter((t) => t >= 0).length;
  assert.equal(counted, b.responseTokens);
  const first = tokenizer.encode(`${examples[0].prompt}\n`, { addSpecialTokens: false }).length;
  assert.ok(Array.from(b.targets.subarray(0, first - 1)).every((t) => t === -1), "prompt tokens are not trained on");
  assert.equal(b.targets[first - 1], tokenizer.encode(examples[0].solution!, { addSpecialTokens: false })[0]);
  model.dispose();
});

test("supervised warm-up lowers the loss, leaks nothing, and evaluation scores with the task's checker", async () => {
  const { tokenizer, model } = createBuiltinModel("tiny", 1);
  const losses: number[] = [];
  const optimizer = supervisedFineTune(model, tokenizer, builtinExamples(arithmeticTask, { config: knobs, seed: 1 }), { steps: 40, batchSize: 16 }, (s) => losses.push(s.loss));
  const live = memory().cpu.live;
  assert.ok(losses.slice(-5).reduce((a, b) => a + b) < losses.slice(0, 5).reduce((a, b) => a + b), `loss did not fall: ${losses.join(", ")}`);
  const test = [...take(builtinExamples(arithmeticTask, { config: knobs, seed: 1, split: "test", unique: true }), 8)].map((e) => promptItem(e, tokenizer, true));
  const result = await evaluate(model, tokenizer, test, BUILTIN_REWARDS.arithmetic, { maxNewTokens: 24 });
  assert.equal(result.samples.length, 8);
  assert.ok(result.accuracy >= 0 && result.accuracy <= 1);
  assert.equal(memory().cpu.live, live, "evaluation freed what it allocated");
  optimizer.dispose();
  model.dispose();
});

test("astarpo sft trains, reports and saves a Hugging Face folder", async () => {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-sft-"));
  try {
    const lines: string[] = [];
    const result = await runSft({ task: "arithmetic", model: "builtin:tiny", knob: ["digits=1", "steps=1"], steps: 10, batchSize: 8, lr: 2e-3,
      seed: 0, eval: 4, out: dir, logEvery: 5, json: true }, (line) => lines.push(line));
    const events = lines.map((l) => JSON.parse(l) as { event: string });
    assert.deepEqual(events.map((e) => e.event), ["start", "eval", "step", "step", "eval", "saved"]);
    assert.ok(result.after >= 0);
    assert.ok(readdirSync(dir).includes("config.json") && readdirSync(dir).includes("model.safetensors"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function* take<T>(items: Iterable<T>, n: number): Generator<T> {
  let i = 0;
  for (const item of items) {
    if (i++ >= n) return;
    yield item;
  }
}
