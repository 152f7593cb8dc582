import { test } from "node:test";
import assert from "node:assert/strict";
import { astar, astarOptions, optimalValue, type RolloutBatch, type RolloutSequence } from "../../src/algos/index.js";
import { backward, scope, tensor } from "../../src/tensor/index.js";
import { rolloutSequence } from "./sequences.js";

const options = astarOptions.parse({});

test("V-hat for binary rewards equals the closed form beta1 * ln(1 + (k/N)(e^(1/beta1) - 1)) at beta1 = 0.5, N = 8", () => {
  const expected = [0, 0.2935, 0.4772, 0.6113, 0.7169, 0.804, 0.8782, 0.9428, 1.0];
  for (let k = 0; k <= 8; k++) {
    const rewards = Array.from({ length: 8 }, (_, i) => (i < k ? 1 : 0));
    const v = optimalValue(rewards, 0.5);
    assert.ok(Math.abs(v - expected[k]) < 5e-5, `k = ${k}: ${v} vs ${expected[k]}`);
    assert.ok(Math.abs(v - 0.5 * Math.log(1 + (k / 8) * (Math.E ** 2 - 1))) < 1e-12, `k = ${k}: not the closed form`);
  }
});

test("V-hat stays finite where exp(r / beta1) overflows, and its modes are the mean, zero and the limits", () => {
  const v = optimalValue([1000, 0], 0.01);
  assert.ok(Math.abs(v - (1000 + 0.01 * Math.log(0.5))) < 1e-9, `${v}`);
  assert.equal(optimalValue([1, 0, 0, 1], 0.5, "mean"), 0.5);
  assert.equal(optimalValue([1, 0, 0, 1], 0.5, "zero"), 0);
  // beta1 -> 0 tends to the max, beta1 -> infinity to the mean.
  assert.ok(Math.abs(optimalValue([1, 0, 0, 0], 1e-3) - (1 + 1e-3 * Math.log(0.25))) < 1e-9);
  assert.ok(Math.abs(optimalValue([1, 0, 0, 0], 1e6) - 0.25) < 1e-6);
  assert.throws(() => optimalValue([], 0.5), /no rewards/);
  assert.throws(() => optimalValue([1], 0), /beta1/);
});

function sequence(reward: number, vHat: number, ref: number[], length: number): RolloutSequence {
  return rolloutSequence({ reward, rawReward: reward, vHat, refLogprobs: Float32Array.from(ref), length });
}

test("prepare fixes each sequence's optimal advantage r - V-hat and its summed reference log-prob", () => {
  const batch: RolloutBatch = { sequences: [sequence(1, 0.25, [-1, -0.5], 2), sequence(0, 0.75, [-2], 1)], groups: 2 };
  const metrics = astar.prepare(batch, options, null);
  assert.deepEqual(batch.sequences.map((s) => s.fixed.advantage), [0.75, -0.75]);
  assert.deepEqual(batch.sequences.map((s) => s.fixed.refLogprob), [-1.5, -2]);
  assert.deepEqual(metrics, { v_star: 0.5, advantage: 0 });
  assert.throws(() => astar.prepare({ sequences: [{ ...sequence(1, 0, [0], 1), vHat: null }], groups: 1 }, options, null), /no V-hat/);
});

test("the A*-PO loss and its gradient match the hand-computed least squares, with nothing past the first EOS", () => {
  const beta2 = 0.1;
  const opts = { ...options, beta2, entropyCoef: 0.01 };
  const seqs = [sequence(1, 0.25, [-1, -0.5, -0.25], 3), sequence(0, 0.5, [-2, -1], 2)];
  astar.prepare({ sequences: seqs, groups: 2 }, opts, null);
  // Row 1 is padded at its third position: a value there must not count.
  const lp = [[-0.5, -1.5, -0.25], [-1, -3, 99]];
  const ent = [[0.5, 0.25, 1], [2, 1, 0]];
  const mask = [[1, 1, 1], [1, 1, 0]];
  const step = { sequences: 4, tokens: 10, maxNewTokens: 16 }; // as if this micro-batch were half of its optimizer step
  const { loss, gLogprobs, gEntropy, metrics } = scope(() => {
    const logprobs = tensor(lp, undefined, { requiresGrad: true });
    const entropy = tensor(ent, undefined, { requiresGrad: true });
    const out = astar.loss({ sequences: seqs, logprobs, entropy, mask: tensor(mask), step }, opts, null);
    backward(out.loss);
    return { loss: out.loss.item(), gLogprobs: Array.from(logprobs.grad!.toFloat32Array()), gEntropy: Array.from(entropy.grad!.toFloat32Array()), metrics: out.metrics };
  });
  // Sequence sums: -2.25 and -4 (the padded 99 left out); references -1.75 and -3; log-ratios -0.5 and -1;
  // residuals beta2 * ratio - (r - V).
  const residuals = [beta2 * -0.5 - 0.75, beta2 * -1 - -0.5];
  const entropySum = 0.5 + 0.25 + 1 + 2 + 1;
  const expected = (residuals[0] ** 2 + residuals[1] ** 2) / step.sequences - (0.01 * entropySum) / step.tokens;
  assert.ok(Math.abs(loss - expected) < 1e-6, `loss ${loss} vs ${expected}`);
  const expectedGrad = mask.flatMap((row, b) => row.map((m) => (m * 2 * beta2 * residuals[b]) / step.sequences));
  gLogprobs.forEach((g, i) => assert.ok(Math.abs(g - expectedGrad[i]) < 1e-6, `d loss / d logprob[${i}] = ${g}, expected ${expectedGrad[i]}`));
  assert.equal(gLogprobs[5], 0, "the padded position gets no gradient");
  // The bonus -coef * sum(entropy) / tokens: -0.001 per response token, nothing on padding.
  const expectedEntropyGrad = mask.flat().map((m) => -m * 0.001);
  gEntropy.forEach((g, i) => assert.ok(Math.abs(g - expectedEntropyGrad[i]) < 1e-9, `d loss / d entropy[${i}] = ${g}`));
  assert.ok(Math.abs(metrics.implicit_reward - (beta2 * (-0.5 - 1)) / step.sequences) < 1e-6);
  assert.ok(Math.abs(metrics.entropy - entropySum / step.tokens) < 1e-6);
});

test("at the reference (log-ratio 0) the gradient is REINFORCE with baseline V-hat: -2 beta2 (r - V) per token", () => {
  const seqs = [sequence(1, 0.4, [-1, -1], 2)];
  astar.prepare({ sequences: seqs, groups: 1 }, options, null);
  const grad = scope(() => {
    const logprobs = tensor([[-1, -1]], undefined, { requiresGrad: true });
    backward(astar.loss({ sequences: seqs, logprobs, entropy: tensor([[0, 0]]), mask: tensor([[1, 1]]), step: { sequences: 1, tokens: 2, maxNewTokens: 16 } }, options, null).loss);
    return Array.from(logprobs.grad!.toFloat32Array());
  });
  for (const g of grad) assert.ok(Math.abs(g - -2 * options.beta2 * 0.6) < 1e-9, `${g}`);
});
