// The decoder against an independent PyTorch implementation of each family
// (scripts/model-fixtures.py): logits, per-token log-probs, gradients of their
// sum, and greedy decoding with and without the KV cache.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadModel } from "../../src/pretrained/index.js";
import { backward, scope, sum, tokenLogProbs, tensor } from "../../src/tensor/index.js";
import { assertClose } from "../tensor/reference.js";
import { FAMILIES, fixtureDir, greedyWithCache, greedyWithoutCache, idsTensor, readReference } from "./decoder-fixtures.js";

for (const family of FAMILIES) {
  test(`${family}: logits, log-probs and parameter gradients match PyTorch`, async () => {
    const ref = readReference(family);
    const { model, config } = await loadModel(fixtureDir(family));
    try {
      const params = model.namedParameters();
      scope(() => {
        const [B, T] = [ref.ids.length, ref.ids[0].length];
        const logits = model.forward(idsTensor(ref.ids));
        assert.deepEqual(logits.shape, [B, T, config.vocabSize]);
        const values = logits.toFloat32Array();
        for (const { row, position, values: expected } of ref.logits) {
          const at = (row * T + position) * config.vocabSize;
          assertClose(values.subarray(at, at + config.vocabSize), expected, 1e-4, 1e-5, `logits of row ${row} at ${position}`);
        }
        // Each position predicts the next token; the last has no target (-1 gives 0).
        const targets = ref.ids.map((row) => [...row.slice(1), -1]);
        const { logprobs } = tokenLogProbs(logits, tensor(Int32Array.from(targets.flat()), [B, T]));
        const lp = logprobs.toFloat32Array();
        ref.logprobs.forEach((expected, b) => assertClose(lp.subarray(b * T, b * T + T - 1), expected, 1e-4, 1e-5, `log-probs of row ${b}`));
        backward(sum(logprobs));
      });
      for (const [name, { rows, shape, values }] of Object.entries(ref.grads)) {
        const param = params.get(name);
        assert.ok(param, `no parameter ${name}`);
        assert.deepEqual(param.shape, shape, name);
        const grad = param.grad?.toFloat32Array();
        assert.ok(grad, `${name} has no gradient`);
        const scale = Math.max(...values.map(Math.abs));
        assertClose(grad.subarray(0, values.length), values, 1e-4, 1e-5 * scale, `gradient of ${name}`);
        assert.equal(values.length, rows * (param.size / shape[0]));
      }
    } finally {
      model.dispose();
    }
  });

  test(`${family}: greedy decoding reproduces PyTorch's tokens, with and without the KV cache`, async () => {
    const ref = readReference(family);
    const { model } = await loadModel(fixtureDir(family));
    try {
      for (const { prompt, tokens } of ref.greedy) {
        assert.deepEqual(greedyWithCache(model, prompt, tokens.length), tokens, `prompt ${prompt} with the cache`);
        assert.deepEqual(greedyWithoutCache(model, prompt, tokens.length), tokens, `prompt ${prompt} without the cache`);
      }
    } finally {
      model.dispose();
    }
  });
}
