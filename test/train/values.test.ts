import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localSampler, type GeneratedSequence, type ResponseSampler } from "../../src/generate/index.js";
import { modelFingerprint } from "../../src/models/index.js";
import { createBuiltinModel } from "../../src/pretrained/index.js";
import { parseRunConfig } from "../../src/train/config.js";
import { loadPromptSets, type PromptItem } from "../../src/train/prompts.js";
import { hasRewardColumns, runStageOne } from "../../src/train/stage-one.js";
import { rescoreValues, sampleValues, summarizeValues, ValuesCache, VALUES_FORMAT, type ValuesMeta } from "../../src/train/values.js";
import { rewardPerItem } from "../../src/rewards/index.js";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "astarpo-values-"));
}

async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir();
  try {
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const meta: ValuesMeta = {
  format: VALUES_FORMAT, source: "fake", modelFingerprint: "f", task: "arithmetic", numSamples: 2, temperature: 1, topP: 1, maxNewTokens: 8, seed: 0,
};

/** A sampler whose response i to a prompt is "#### <i mod 3>": rewards follow from the prompt's answer. */
function fakeSampler(calls: number[]): ResponseSampler {
  return {
    source: "fake",
    sample: async (prompts, config) => {
      calls.push(prompts.length);
      return prompts.map((p, i): GeneratedSequence => ({
        promptTokenIds: [...p.ids], promptTokenCount: p.ids.length, tokenIds: [7, 7], logprobs: [-1, -1],
        text: `#### ${(config.seeds![i] % 3)}`, finishReason: "stop",
      }));
    },
  };
}

function prompts(n: number): PromptItem[] {
  return Array.from({ length: n }, (_, i) => ({
    example: { id: `t:${i}:x`, prompt: `p${i}`, answer: String(i % 3), columns: {}, reward: "arithmetic", source: { file: "t", row: i } },
    text: `p${i}\n`, ids: [1, 2, i + 3],
  }));
}

const reward = rewardPerItem((c, columns) => (c.text === `#### ${columns.answer as string}` ? 1 : 0));
const options = (calls: number[], shouldStop?: () => boolean) => ({
  sampler: fakeSampler(calls), reward, numSamples: 2, temperature: 1, topP: 1, maxNewTokens: 8, seed: 0, batchSize: 4,
  logprobsAtTemperature: true, shouldStop,
});

test("stage 1 caches every prompt's samples and rewards, and an interrupted run resumes without losing or redoing a prompt", async () => {
  const dir = tempDir();
  try {
    const calls: number[] = [];
    let batches = 0;
    const first = await ValuesCache.create(dir, meta);
    assert.equal(await sampleValues(first, prompts(5), options(calls, () => batches++ >= 1)), false, "stopped after one batch");
    assert.equal(first.records.size, 2, "two prompts (4 sequences) per call at batchSize 4 and N = 2");
    // A write cut short by a crash leaves a partial last line: it is dropped and sampled again.
    appendFileSync(join(dir, "samples.jsonl"), '{"id":"t:2:x","rewards":[1');
    const resumed = await ValuesCache.create(dir, meta);
    assert.equal(resumed.records.size, 2);
    assert.equal(await sampleValues(resumed, prompts(5), options(calls)), true);
    assert.deepEqual(calls, [4, 4, 2], "only the three missing prompts were sampled");
    const reread = ValuesCache.open(dir);
    assert.deepEqual([...reread.records.keys()].sort(), prompts(5).map((p) => p.example.id));

    const uninterrupted = tempDir();
    try {
      const whole = await ValuesCache.create(uninterrupted, meta);
      await sampleValues(whole, prompts(5), options([]));
      for (const [id, record] of whole.records) assert.deepEqual(reread.records.get(id), record, `prompt ${id} differs from an uninterrupted run`);
    } finally {
      rmSync(uninterrupted, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a sampler that names a call size (a server's request pool) gets calls of that many sequences in whole prompts, whatever the batch size", async () => {
  await inTempDir(async (dir) => {
    const calls: number[] = [];
    const pooled: ResponseSampler = { ...fakeSampler(calls), callSize: 7 };
    assert.equal(await sampleValues(await ValuesCache.create(dir, meta), prompts(8), { ...options([]), sampler: pooled }), true);
    assert.deepEqual(calls, [6, 6, 4], "three prompts of two samples per call, not the batch size's two");
  });
});

test("responses whose token ids were encoded from the text are marked in the cache and counted in the summary", async () => {
  await inTempDir(async (dir) => {
    const calls: number[] = [];
    const base = fakeSampler(calls);
    const partly: ResponseSampler = {
      source: "server",
      sample: async (ps, config) => (await base.sample(ps, config)).map((s, i) => (i % 2 === 0 ? { ...s, retokenized: true } : s)),
    };
    const cache = await ValuesCache.create(dir, meta);
    await sampleValues(cache, prompts(3), { ...options([]), sampler: partly });
    const responses = [...ValuesCache.open(dir).records.values()].flatMap((r) => r.responses);
    assert.deepEqual(responses.map((r) => r.retokenized), [true, undefined, true, undefined, true, undefined]);
    assert.equal(summarizeValues(cache, prompts(3).map((p) => p.example.id), 0.5, "lse").retokenized, 3);
  });
});

test("a cache made with other settings or another model is refused, naming what differs", async () => {
  const dir = tempDir();
  try {
    await ValuesCache.create(dir, meta);
    await assert.rejects(ValuesCache.create(dir, { ...meta, modelFingerprint: "g" }), /modelFingerprint is "f" there but "g" here/);
    await assert.rejects(ValuesCache.create(dir, { ...meta, numSamples: 4 }), /numSamples is 2 there but 4 here/);
    assert.throws(() => ValuesCache.open(join(dir, "nothing")), /not a stage-1 folder/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("V-hat, the summary and rescoring come from the cached rewards without sampling", async () => {
  const dir = tempDir();
  try {
    const cache = await ValuesCache.create(dir, meta);
    const items = prompts(3);
    await sampleValues(cache, items, options([]));
    const values = cache.values(0.5, "mean");
    const rewards = items.map((p) => cache.records.get(p.example.id)!.rewards);
    items.forEach((p, i) => assert.equal(values.get(p.example.id), (rewards[i][0]! + rewards[i][1]!) / 2));
    const summary = summarizeValues(cache, items.map((p) => p.example.id), 0.5, "lse");
    assert.equal(summary.prompts, 3);
    assert.equal(summary.all_wrong, rewards.filter((r) => r.every((x) => x === 0)).length);
    assert.equal(summary.pass_at_1, rewards.flat().reduce((s: number, r) => s + r!, 0) / 6);
    assert.equal(summary.v_hat_histogram.reduce((s, b) => s + b.count, 0), 3);
    // Another checker: everything is right now.
    const changed = await rescoreValues(cache, items, rewardPerItem(() => 1));
    assert.equal(changed, rewards.filter((r) => r.some((x) => x !== 1)).length);
    assert.ok([...ValuesCache.open(dir).records.values()].every((r) => r.rewards.every((x) => x === 1)), "rescored rewards were saved");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the authors' layout (eval_0 .. eval_{N-1} beside the prompt) gives V-hat without sampling", async () => {
  const dir = tempDir();
  try {
    const config = parseRunConfig({ model: "builtin:tiny", task: "math", data: "test/fixtures/data/verl-math-evals.jsonl", evalData: "test/fixtures/data/verl-math.jsonl" });
    const { tokenizer } = createBuiltinModel("tiny", 0);
    const sets = await loadPromptSets(config, tokenizer);
    assert.ok(hasRewardColumns(sets.train));
    const result = await runStageOne(config, { sampler: null, fingerprint: null, prompts: sets.train, reward: sets.reward, dir });
    assert.equal(result.cache.meta.numSamples, 4);
    const rows = readFileSync("test/fixtures/data/verl-math-evals.jsonl", "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const expected = rows.map((r) => [0, 1, 2, 3].map((j) => Number(r[`eval_${j}`])));
    const got = sets.train.map((p) => result.cache.records.get(p.example.id)!.rewards);
    assert.deepEqual(got, expected);
    assert.equal(result.summary.all_wrong, 1);
    assert.equal(result.summary.pass_at_n, 5 / 6);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("stage 1 through the local sampler draws the same responses whatever the batch size", async () => {
  const dirs = [tempDir(), tempDir()];
  try {
    const { model, tokenizer } = createBuiltinModel("tiny", 0);
    const config = parseRunConfig({ model: "builtin:tiny", trainSize: 6, maxNewTokens: 6, numValueSamples: 3 });
    const sets = await loadPromptSets(config, tokenizer);
    const caches = [];
    for (const [i, batch] of [3, 9].entries()) {
      const run = await runStageOne({ ...config, generationBatchSize: batch }, {
        sampler: localSampler(model, tokenizer, "builtin:tiny"), fingerprint: modelFingerprint(model), prompts: sets.train, reward: sets.reward, dir: dirs[i],
      });
      caches.push(run.cache);
    }
    for (const [id, record] of caches[0].records) assert.deepEqual(caches[1].records.get(id)!.responses, record.responses);
    model.dispose();
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});
