import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arithmeticTask, builtinExamples, BUILTIN_REWARDS, checkArithmetic } from "../../src/data/index.js";
import type { RewardFn } from "../../src/rewards/types.js";
import { type DecoderModel } from "../../src/models/index.js";
import { createBuiltinModel, loadModel } from "../../src/pretrained/index.js";
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
  const seen: Array<{ text: string; finished: boolean; answer: unknown; score: number | null }> = [];
  const recording: RewardFn = async (batch) => {
    const scores = await BUILTIN_REWARDS.arithmetic(batch);
    batch.completions.forEach((c, i) => seen.push({ text: c.text, finished: c.finished, answer: batch.columns[i].answer, score: scores[i] }));
    return scores;
  };
  const result = await evaluate(model, tokenizer, test, recording, { maxNewTokens: 24 });
  assert.equal(memory().cpu.live, live, "evaluation freed what it allocated");
  // Each response is scored by the task's checker against its own example (0 when cut off), and the
  // accuracy is their mean with unreadable answers counted wrong.
  assert.deepEqual(seen.map((s) => s.answer), test.map((p) => p.example.answer));
  for (const s of seen) assert.equal(s.score, s.finished ? checkArithmetic(s.text, { answer: s.answer }) : 0, JSON.stringify(s));
  assert.deepEqual(result.samples.map((s) => [s.completion, s.reward]), seen.map((s) => [s.text, s.score]));
  assert.equal(result.accuracy, seen.reduce((n, s) => n + (s.score ?? 0), 0) / 8);
  assert.equal(result.unparsed, seen.filter((s) => s.score === null).length);
  optimizer.dispose();
  model.dispose();
});

test("astarpo sft trains, reports and saves a Hugging Face folder", async () => {
  const dir = mkdtempSync(join(tmpdir(), "astarpo-sft-"));
  try {
    const lines: string[] = [];
    const result = await runSft({ task: "arithmetic", model: "builtin:tiny", knob: ["digits=1", "steps=1"], steps: 10, batchSize: 8, lr: 2e-3,
      seed: 0, eval: 4, out: dir, logEvery: 5, json: true }, (line) => lines.push(line));
    const events = lines.map((l) => JSON.parse(l) as { event: string; step?: number; accuracy?: number; loss?: number });
    assert.deepEqual(events.map((e) => [e.event, e.step]), [["start", undefined], ["eval", 0], ["step", 5], ["step", 10], ["eval", 10], ["saved", undefined]]);
    assert.deepEqual([events[1].accuracy, events[4].accuracy], [result.before, result.after]);
    assert.ok(events.filter((e) => e.event === "step").every((e) => Number.isFinite(e.loss)));
    // The folder holds the trained model: it differs from the untrained one and scores what the run reported.
    const saved = await loadModel(dir);
    const untrained = createBuiltinModel("tiny", 0);
    try {
      assert.notDeepEqual(weightsOf(saved.model), weightsOf(untrained.model));
      const testSet = [...take(builtinExamples(arithmeticTask, { config: knobs, seed: 0, split: "test", unique: true }), 4)]
        .map((e) => promptItem(e, saved.tokenizer, true));
      assert.equal((await evaluate(saved.model, saved.tokenizer, testSet, BUILTIN_REWARDS.arithmetic, { maxNewTokens: 128 })).accuracy, result.after);
    } finally {
      saved.model.dispose();
      untrained.model.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function weightsOf(model: DecoderModel): Float32Array[] {
  return model.parameters().map((p) => p.toFloat32Array());
}

function* take<T>(items: Iterable<T>, n: number): Generator<T> {
  let i = 0;
  for (const item of items) {
    if (i++ >= n) return;
    yield item;
  }
}
