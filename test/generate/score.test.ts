// Teacher-forced scoring: it reproduces the log-probs sampling reported (the
// rollout and the trainer agree), its values and gradients equal those of an
// unbatched, unchunked pass over each sequence, padding is masked, and it
// frees what it allocates.
import { test } from "node:test";
import assert from "node:assert/strict";
import { generate, logprobTemperature, scoreResponses, scoreResponsesNoGrad, vocabWeight, type GenerationConfig, type PromptAndResponse } from "../../src/generate/index.js";
import { addLora, frozenCopy, type DecoderModel } from "../../src/models/index.js";
import { createBuiltinModel, loadModel } from "../../src/pretrained/index.js";
import { add, backward, linear, memory, mul, noGrad, scope, sum, tensor, tokenLogProbs, type Tensor } from "../../src/tensor/index.js";
import { FAMILIES, fixtureDir } from "../models/decoder-fixtures.js";
import { assertClose, tokenLogProbsRef } from "../tensor/reference.js";

const PROMPTS = ["What is 12*7?", "2+2=", "Count down: 9 8 7", "x", "Say something long, please."];

/** Samples, scores the samples, and checks that both give every token the same log-prob within 1e-4. */
function assertSampledThenScoredAgree(model: DecoderModel, tokenizer: Parameters<typeof generate>[1], config: GenerationConfig, label: string): void {
  const out = generate(model, tokenizer, PROMPTS, { maxNewTokens: 24, batchSize: 3, ...config });
  const scored = scoreResponsesNoGrad(model, tokenizer, out.map((s) => ({ prompt: s.promptTokenIds, response: s.tokenIds })),
    { temperature: logprobTemperature(config), batchSize: 2 });
  out.forEach((s, i) => assertClose(scored.logprobs[i], s.logprobs, 0, 1e-4, `${label}, response ${i}`));
}

test("scoring a sampled response reproduces the log-probs sampling reported (built-in model)", () => {
  const { model, tokenizer } = createBuiltinModel("tiny", 4);
  try {
    for (const config of [{ seed: 1 }, { seed: 2, temperature: 0.6, topP: 0.9 }, { seed: 3, temperature: 1.7, logprobsAtTemperature: false }, { greedy: true }]) {
      assertSampledThenScoredAgree(model, tokenizer, config, JSON.stringify(config));
    }
  } finally {
    model.dispose();
  }
});

test("scoring a sampled response reproduces the log-probs sampling reported with bf16 weights", () => {
  const { model, tokenizer } = createBuiltinModel("tiny", 4);
  const half = frozenCopy(model, "bf16");
  try {
    assertSampledThenScoredAgree(half, tokenizer, { seed: 5, temperature: 0.9 }, "bf16");
  } finally {
    model.dispose();
    half.dispose();
  }
});

test("scoring a sampled response reproduces the log-probs sampling reported (Hugging Face folders, padded vocabularies)", async () => {
  for (const family of FAMILIES) {
    const { model, tokenizer } = await loadModel(fixtureDir(family));
    try {
      assertSampledThenScoredAgree(model, tokenizer, { seed: 7, temperature: 0.8, topK: 40 }, family);
    } finally {
      model.dispose();
    }
  }
});

/** Per sequence alone, from the full logits: log-softmax over the first `vocab` columns in float64. */
function referenceScores(model: DecoderModel, vocab: number, { prompt, response }: PromptAndResponse, temperature: number) {
  const ids = [...prompt, ...response.slice(0, -1)];
  const logits = noGrad(() => scope(() => model.forward(tensor(Int32Array.from(ids), [1, ids.length])).toFloat32Array()));
  const V = model.config.vocabSize;
  const rows = response.length;
  const picked = new Float64Array(rows * vocab);
  for (let j = 0; j < rows; j++) {
    const at = (prompt.length - 1 + j) * V;
    for (let v = 0; v < vocab; v++) picked[j * vocab + v] = logits[at + v];
  }
  return tokenLogProbsRef(picked, Int32Array.from(response), rows, vocab, temperature);
}

const SEQUENCES: PromptAndResponse[] = [
  { prompt: [1, 40, 41, 20], response: [77, 7, 60, 2] },
  { prompt: [1, 50], response: [9, 33, 61, 62, 19, 30, 31] },
  { prompt: [1, 77, 7, 60, 61, 62, 19, 33], response: [5] },
];

test("scores of a padded batch equal each sequence's own log-softmax over the real vocabulary; padding is masked", async () => {
  const { model, tokenizer } = await loadModel(fixtureDir("qwen2"));
  try {
    assert.ok(tokenizer.vocabSize < model.config.vocabSize, "the fixture pads its vocabulary");
    const got = noGrad(() => scope(() => {
      const s = scoreResponses(model, tokenizer, SEQUENCES, { temperature: 0.9, entropy: true });
      return { logprobs: s.logprobs.toFloat32Array(), entropy: s.entropy!.toFloat32Array(), mask: s.mask.toFloat32Array(), R: s.logprobs.shape[1] };
    }));
    assert.equal(got.R, 7);
    SEQUENCES.forEach((seq, b) => {
      const ref = referenceScores(model, tokenizer.vocabSize, seq, 0.9);
      const n = seq.response.length;
      const row = (values: Float32Array) => values.subarray(b * got.R, (b + 1) * got.R);
      assertClose(row(got.logprobs).subarray(0, n), ref.logp, 1e-4, 1e-5, `sequence ${b} log-probs`);
      assertClose(row(got.entropy).subarray(0, n), ref.entropy, 1e-4, 1e-5, `sequence ${b} entropy`);
      assert.deepEqual([...row(got.mask)], Array.from({ length: got.R }, (_, j) => (j < n ? 1 : 0)));
      assert.ok(row(got.logprobs).subarray(n).every((v) => v === 0) && row(got.entropy).subarray(n).every((v) => v === 0));
    });
    const arrays = scoreResponsesNoGrad(model, tokenizer, SEQUENCES, { temperature: 0.9, entropy: true, batchSize: 2 });
    assert.deepEqual(arrays.logprobs.map((l) => l.length), [4, 7, 1]);
    SEQUENCES.forEach((seq, b) => assertClose(arrays.logprobs[b], referenceScores(model, tokenizer.vocabSize, seq, 0.9).logp, 1e-4, 1e-5, `no-grad sequence ${b}`));
  } finally {
    model.dispose();
  }
});

/** sum(logprobs * mask) + 0.3 sum(entropy * mask): a loss that uses both outputs. */
function lossOf(logprobs: Tensor, entropy: Tensor, mask: Tensor): Tensor {
  return add(sum(mul(logprobs, mask)), mul(sum(mul(entropy, mask)), tensor([0.3], [])));
}

function gradients(model: DecoderModel): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, p] of model.namedParameters()) {
    out.set(name, p.grad ? p.grad.toFloat32Array() : new Float32Array(p.size));
    p.grad?.dispose();
    p.grad = null;
  }
  return out;
}

test("gradients of a batched score, chunked or kept whole, equal those of each sequence scored alone", async () => {
  const { model, tokenizer } = await loadModel(fixtureDir("qwen2"));
  const V = tokenizer.vocabSize;
  try {
    const live = memory().cpu.live;
    // 8 logits rows per chunk: the 21 scored positions take three chunks, made again in backward;
    // by default they fit one chunk, which backward reuses.
    const batched = [8 * V * 4, undefined].map((maxLogitsBytes) => {
      scope(() => {
        const s = scoreResponses(model, tokenizer, SEQUENCES, { entropy: true, temperature: 0.8, maxLogitsBytes });
        backward(lossOf(s.logprobs, s.entropy!, s.mask));
      });
      const grads = gradients(model);
      assert.equal(memory().cpu.live, live, "scoring and its backward pass free everything");
      return grads;
    });

    for (const { prompt, response } of SEQUENCES) {
      scope(() => {
        const ids = [...prompt, ...response.slice(0, -1)];
        const targets = Int32Array.from(ids, (_, t) => (t < prompt.length - 1 ? -1 : response[t - prompt.length + 1]));
        const hidden = model.hidden(tensor(Int32Array.from(ids), [1, ids.length]));
        const out = tokenLogProbs(linear(hidden, vocabWeight(model, V)), tensor(targets, [1, ids.length]), { temperature: 0.8, entropy: true });
        const mask = tensor(Float32Array.from(targets, (t) => (t < 0 ? 0 : 1)), [1, ids.length]);
        backward(lossOf(out.logprobs, out.entropy!, mask));
      });
    }
    const reference = gradients(model);
    for (const [i, grads] of batched.entries()) {
      for (const [name, g] of grads) assertClose(g, reference.get(name)!, 1e-3, 1e-5, `${i ? "one chunk" : "three chunks"}: ${name}`);
    }
  } finally {
    model.dispose();
  }
});

test("scoring LoRA adapters on a bf16 base back-propagates through the frozen output projection as through its f32 widening", async () => {
  const { model: half, tokenizer } = await loadModel(fixtureDir("qwen2"), { dtype: "bf16" }); // tied: the bf16 embedding projects
  const wide = frozenCopy(half, "f32");
  const batch = [{ prompt: [1, 40, 41], response: [20, 77, 7, 2] }, { prompt: [5], response: [60, 61] }];
  try {
    const gradients = (model: DecoderModel) => {
      addLora(model, { r: 2, dropout: 0 }, 3);
      for (const p of model.trainableParameters()) if (p.name!.endsWith("lora_B.weight")) p.write(new Float32Array(p.size).fill(0.01));
      scope(() => backward(sum(scoreResponses(model, tokenizer, batch, { maxLogitsBytes: 3 * 128 * 4 }).logprobs)));
      return model.trainableParameters().map((p) => p.grad!.toFloat32Array());
    };
    const fromHalf = gradients(half), fromWide = gradients(wide);
    fromWide.forEach((g, i) => assert.deepEqual(fromHalf[i], g));
  } finally {
    half.dispose();
    wide.dispose();
  }
});

test("bad sequences are named", () => {
  const { model, tokenizer } = createBuiltinModel("tiny", 0);
  try {
    assert.throws(() => scoreResponsesNoGrad(model, tokenizer, [{ prompt: [1], response: [2] }, { prompt: [], response: [3] }]), /sequence 1 has an empty prompt/);
    assert.throws(() => scoreResponsesNoGrad(model, tokenizer, [{ prompt: [1], response: [2, 999] }]), /sequence 0, response token 1 is 999, outside the vocabulary/);
    assert.throws(() => scoreResponses(model, tokenizer, [{ prompt: [1], response: [] }]), /every response is empty/);
  } finally {
    model.dispose();
  }
});
