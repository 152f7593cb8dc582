// Batched sampling: what it returns, that it is reproducible whatever the
// batch, that it stops where asked, that finished rows leave the batch, that
// greedy decoding reproduces PyTorch's tokens, and that it frees its memory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { generate, type GenerationTokenizer } from "../../src/generate/index.js";
import { KVCache } from "../../src/models/index.js";
import { createBuiltinModel, loadModel } from "../../src/pretrained/index.js";
import { memory } from "../../src/tensor/index.js";
import { FAMILIES, fixtureDir, readReference } from "../models/decoder-fixtures.js";

const PROMPTS = ["What is 12*7?", "2+2=", "Count down from 9: 9 8 7", "x"];

test("every sequence gets tokens, text, one log-prob per token and a finish reason", () => {
  const { model, tokenizer } = createBuiltinModel("tiny", 0);
  const live = memory().cpu.live;
  try {
    const out = generate(model, tokenizer, [...PROMPTS, [1, 40, 41]], { maxNewTokens: 12, seed: 5, stopTokenIds: [] });
    assert.equal(out.length, 5);
    out.forEach((seq, i) => {
      assert.deepEqual(seq.promptTokenIds, i < PROMPTS.length ? tokenizer.encode(PROMPTS[i]) : [1, 40, 41]);
      assert.equal(seq.promptTokenCount, seq.promptTokenIds.length);
      assert.equal(seq.tokenIds.length, 12);
      assert.equal(seq.finishReason, "length");
      assert.equal(seq.logprobs.length, 12);
      assert.ok(seq.logprobs.every((lp) => lp <= 0 && Number.isFinite(lp)));
      assert.equal(seq.text, tokenizer.decode(seq.tokenIds));
      assert.ok(seq.tokenIds.every((id) => id >= 0 && id < tokenizer.vocabSize));
    });
    assert.equal(memory().cpu.live, live, "generate frees everything it allocates");
  } finally {
    model.dispose();
  }
});

test("a sequence samples the same tokens whatever its batch, its neighbours and their order", () => {
  const { model, tokenizer } = createBuiltinModel("tiny", 1);
  try {
    const config = { maxNewTokens: 10, seed: 42, temperature: 0.9, topK: 30, stopTokenIds: [] };
    const together = generate(model, tokenizer, PROMPTS, { ...config, batchSize: 4 });
    const oneByOne = generate(model, tokenizer, PROMPTS, { ...config, batchSize: 1 });
    assert.deepEqual(oneByOne.map((s) => s.tokenIds), together.map((s) => s.tokenIds));
    // Explicit seeds: sequence 2 alone, with the seed it had in the run above, is reproduced.
    const seeds = [3, 1, 4, 1];
    const run = generate(model, tokenizer, PROMPTS, { ...config, seeds });
    const alone = generate(model, tokenizer, [PROMPTS[2]], { ...config, seeds: [seeds[2]] });
    assert.deepEqual(alone[0].tokenIds, run[2].tokenIds);
    const reordered = generate(model, tokenizer, [PROMPTS[3], PROMPTS[2]], { ...config, seeds: [seeds[3], seeds[2]] });
    assert.deepEqual(reordered[1].tokenIds, run[2].tokenIds);
    const otherSeed = generate(model, tokenizer, PROMPTS, { ...config, seed: 43 });
    assert.notDeepEqual(otherSeed.map((s) => s.tokenIds), together.map((s) => s.tokenIds));
  } finally {
    model.dispose();
  }
});

test("several responses to one prompt share one prefill and sample what each would sample alone", () => {
  const { model, tokenizer } = createBuiltinModel("tiny", 2);
  const prefillRows: number[] = [];
  const hidden = model.hidden.bind(model);
  model.hidden = (ids, options) => {
    if (ids.shape[1] > 1) prefillRows.push(ids.shape[0]);
    return hidden(ids, options);
  };
  const live = memory().cpu.live;
  try {
    // Four responses to each of two prompts, interleaved, plus one prompt of its own.
    const prompts = [PROMPTS[0], PROMPTS[1], PROMPTS[0], PROMPTS[1], PROMPTS[0], PROMPTS[2], PROMPTS[1], PROMPTS[0], PROMPTS[1]];
    const config = { maxNewTokens: 8, seed: 9, temperature: 1.1, stopTokenIds: [] };
    const shared = generate(model, tokenizer, prompts, config);
    assert.deepEqual(prefillRows, [3], "one prefill row per distinct prompt");
    const alone = generate(model, tokenizer, prompts, { ...config, batchSize: 1 });
    assert.deepEqual(shared.map((s) => s.tokenIds), alone.map((s) => s.tokenIds));
    const responses = shared.filter((_, i) => prompts[i] === PROMPTS[0]).map((s) => s.tokenIds.join(","));
    assert.equal(new Set(responses).size, 4, "each response draws from its own stream");
    assert.equal(memory().cpu.live, live, "generate frees everything it allocates");
  } finally {
    model.dispose();
  }
});

test("stop tokens and stop strings end a sequence at their first occurrence", () => {
  const { model, tokenizer } = createBuiltinModel("tiny", 2);
  try {
    const config = { maxNewTokens: 16, seed: 9, stopTokenIds: [] };
    const [free] = generate(model, tokenizer, [PROMPTS[0]], config);
    const stopId = free.tokenIds[6];
    const firstAt = free.tokenIds.indexOf(stopId);
    const [byToken] = generate(model, tokenizer, [PROMPTS[0]], { ...config, stopTokenIds: [stopId] });
    assert.equal(byToken.finishReason, "stop");
    assert.deepEqual(byToken.tokenIds, free.tokenIds.slice(0, firstAt + 1));
    assert.deepEqual(byToken.logprobs, free.logprobs.slice(0, firstAt + 1));
    assert.equal(byToken.text, tokenizer.decode(free.tokenIds.slice(0, firstAt)), "the stop token is not part of the text");

    const stopString = tokenizer.decode(free.tokenIds.slice(8, 10));
    const [byString] = generate(model, tokenizer, [PROMPTS[0]], { ...config, stopStrings: [stopString] });
    assert.equal(byString.finishReason, "stop");
    assert.ok(byString.text.endsWith(stopString));
    assert.equal(byString.text.indexOf(stopString), byString.text.length - stopString.length);
    assert.ok(free.text.startsWith(byString.text));
    assert.ok(byString.tokenIds.length <= 10);
  } finally {
    model.dispose();
  }
});

test("finished sequences leave the batch; the cache holds prompt + maxNewTokens positions", () => {
  const { model, tokenizer } = createBuiltinModel("tiny", 3);
  const created: Array<{ batch: number; capacity: number }> = [];
  const kept: number[][] = [];
  const create = KVCache.create;
  const selectRows = KVCache.prototype.selectRows;
  KVCache.create = (config, batch, capacity) => {
    created.push({ batch, capacity });
    return create.call(KVCache, config, batch, capacity);
  };
  KVCache.prototype.selectRows = function (rows) {
    kept.push([...rows]);
    selectRows.call(this, rows);
  };
  try {
    const out = generate(model, tokenizer, PROMPTS, { maxNewTokens: 40, seed: 0, greedy: false, stopTokenIds: [...tokenizer.eosTokenIds, 20, 30, 40, 50] });
    assert.deepEqual(created, [{ batch: 4, capacity: Math.max(...out.map((s) => s.promptTokenCount)) + 40 }]);
    const stopped = out.filter((s) => s.finishReason === "stop").length;
    assert.ok(stopped >= 2, `${stopped} sequences stopped early`);
    // Every compaction shrinks the batch, down to the sequences still running.
    let rows = 4;
    for (const selection of kept) {
      assert.ok(selection.length < rows && selection.length > 0);
      rows = selection.length;
    }
    assert.ok(kept.length > 0);
  } finally {
    KVCache.create = create;
    KVCache.prototype.selectRows = selectRows;
    model.dispose();
  }
});

/** The fixture tokenizer, seen as covering the model's whole (padded) vocabulary, as the PyTorch reference's argmax does. */
function fullVocabulary(tokenizer: GenerationTokenizer, vocabSize: number): GenerationTokenizer {
  return { vocabSize, eosTokenIds: [], encode: (text) => tokenizer.encode(text), decode: (ids) => tokenizer.decode(ids.filter((id) => id < tokenizer.vocabSize)) };
}

test("greedy decoding of a batch of ragged prompts reproduces PyTorch's tokens", async () => {
  for (const family of FAMILIES) {
    const { model, tokenizer, config } = await loadModel(fixtureDir(family));
    try {
      const { greedy } = readReference(family);
      const out = generate(model, fullVocabulary(tokenizer, config.vocabSize), greedy.map((g) => g.prompt),
        { greedy: true, maxNewTokens: greedy[0].tokens.length, batchSize: greedy.length });
      assert.deepEqual(out.map((s) => s.tokenIds), greedy.map((g) => g.tokens), family);
    } finally {
      model.dispose();
    }
  }
});

test("bad prompts are named", () => {
  const { model, tokenizer } = createBuiltinModel("tiny", 0);
  try {
    assert.throws(() => generate(model, tokenizer, ["ok", []]), /prompt 1 has no tokens/);
    assert.throws(() => generate(model, tokenizer, ["ok", [1, 5000]]), new RegExp(`prompt 1 has token id 5000, outside the vocabulary \\[0, ${tokenizer.vocabSize}\\)`));
    assert.throws(() => generate(model, { ...tokenizer, vocabSize: 1000, encode: () => [1], decode: () => "" }, ["x"]), /tokenizer has 1000 tokens but the model only \d+ output rows/);
  } finally {
    model.dispose();
  }
});
