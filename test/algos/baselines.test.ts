import { test } from "node:test";
import assert from "node:assert/strict";
import { gae, grpo, grpoOptions, rebel, rebelOptions, rloo, rlooOptions, type LossInput, type RolloutSequence } from "../../src/algos/index.js";
import { backward, scope, tensor, type Tensor } from "../../src/tensor/index.js";
import { rolloutSequence } from "./sequences.js";

const close = (a: number, b: number, what: string, tol = 1e-6) => assert.ok(Math.abs(a - b) < tol, `${what}: ${a} vs ${b}`);

/** Runs a loss on [B, R] log-probs; its value and its gradient with respect to them. */
function lossAndGradient(run: (input: LossInput) => Tensor, sequences: RolloutSequence[], logprobs: number[][], mask: number[][], step = { sequences: sequences.length, tokens: mask.flat().reduce((a, b) => a + b, 0), maxNewTokens: 4 }) {
  return scope(() => {
    const lp = tensor(logprobs, undefined, { requiresGrad: true });
    const loss = run({ sequences, logprobs: lp, entropy: tensor(logprobs.map((r) => r.map(() => 0))), mask: tensor(mask), step });
    backward(loss);
    return { value: loss.item(), grad: Array.from(lp.grad!.toFloat32Array()) };
  });
}

test("GRPO advantages: reward minus the group mean, over the group's (unbiased) std, the batch's, or nothing", () => {
  const rewards = [1, 0, 0, 1, 1, 1, 1, 1];
  const make = () => ({ sequences: rewards.map((reward, i) => rolloutSequence({ group: Math.floor(i / 4), reward })), groups: 2 });
  const group = make();
  const metrics = grpo.prepare(group, grpoOptions.parse({}), null);
  const std = Math.sqrt((4 * 0.25) / 3);
  group.sequences.slice(0, 4).forEach((s, i) => close(s.fixed.advantage, (rewards[i] - 0.5) / (std + 1e-4), `group advantage ${i}`));
  group.sequences.slice(4).forEach((s) => assert.equal(s.fixed.advantage, 0));
  assert.equal(metrics.frac_reward_zero_std, 0.5, "the second group has equal rewards and teaches nothing");
  const none = make();
  grpo.prepare(none, grpoOptions.parse({ scaleRewards: "none" }), null);
  assert.deepEqual(none.sequences.map((s) => s.fixed.advantage), [0.5, -0.5, -0.5, 0.5, 0, 0, 0, 0]);
  const batch = make();
  grpo.prepare(batch, grpoOptions.parse({ scaleRewards: "batch" }), null);
  const batchStd = Math.sqrt((6 * (1 - 0.75) ** 2 + 2 * 0.75 ** 2) / 7);
  close(batch.sequences[0].fixed.advantage, 0.5 / (batchStd + 1e-4), "batch-scaled advantage");
});

test("GRPO's clipped ratio: no gradient where the ratio left [1 - eps, 1 + eps] in the advantage's direction, -A * ratio inside", () => {
  // One response of 4 tokens with A = +1, one of 4 with A = -1; old log-probs 0 so the ratio is exp(logprob).
  const seqs = [
    rolloutSequence({ group: 0, length: 4, sampledLogprobs: new Float32Array(4), fixed: { advantage: 1 } }),
    rolloutSequence({ group: 1, length: 4, sampledLogprobs: new Float32Array(4), fixed: { advantage: -1 } }),
  ];
  const lp = [[0.5, 0.1, -0.5, 0], [-0.5, 0.1, 0.5, 0]];
  const options = grpoOptions.parse({ epsilon: 0.2 });
  const { value, grad } = lossAndGradient((input) => grpo.loss(input, options, null).loss, seqs, lp, [[1, 1, 1, 0], [1, 1, 1, 0]]);
  const r = (x: number) => Math.exp(x);
  // A > 0: token 0 clipped at 1.2 (no gradient), token 1 inside, token 2 below (unclipped min is ratio * A).
  // A < 0: token 0 below 0.8 is clipped (min picks the clipped -0.8), token 1 inside, token 2 above: -ratio * A unclipped.
  const perToken = [-1.2, -r(0.1), -r(-0.5), 0.8, r(0.1), r(0.5)];
  close(value, perToken.reduce((a, b) => a + b, 0) / 6, "dapo loss: token sum over the step's 6 tokens");
  const expected = [0, -r(0.1) / 6, -r(-0.5) / 6, 0, 0, r(0.1) / 6, r(0.5) / 6, 0];
  grad.forEach((g, i) => close(g, expected[i], `gradient of token ${i}`));
  const out = scope(() => grpo.loss({ sequences: seqs, logprobs: tensor(lp), entropy: tensor([[0, 0, 0, 0], [0, 0, 0, 0]]), mask: tensor([[1, 1, 1, 0], [1, 1, 1, 0]]), step: { sequences: 2, tokens: 6, maxNewTokens: 4 } }, options, null).metrics);
  close(out["clip_ratio/high_mean"], 1 / 6, "one token clipped above with A > 0");
  close(out["clip_ratio/low_mean"], 1 / 6, "one token clipped below with A < 0");
});

test("GRPO's delta caps the ratio of a response with A < 0 that the one-sided clip leaves open, and the entropy bonus lowers the loss", () => {
  const seqs = [rolloutSequence({ group: 0, length: 1, sampledLogprobs: new Float32Array(1), fixed: { advantage: -1 } })];
  const lp = [[0.5]];
  const run = (options: Record<string, unknown>) => lossAndGradient((input) => grpo.loss(input, grpoOptions.parse(options), null).loss, seqs, lp, [[1]]);
  // Without delta: -min(r * -1, 1.2 * -1) = r, whose gradient is r. With delta 1.1: min(-1.1, -1.2) = -1.2, no gradient.
  const open = run({});
  close(open.value, Math.exp(0.5), "one-sided");
  close(open.grad[0], Math.exp(0.5), "one-sided gradient");
  const capped = run({ delta: 1.1 });
  close(capped.value, 1.2, "two-sided");
  close(capped.grad[0], 0, "two-sided gradient");
  const bonus = scope(() => grpo.loss({ sequences: seqs, logprobs: tensor(lp), entropy: tensor([[2]]), mask: tensor([[1]]), step: { sequences: 1, tokens: 1, maxNewTokens: 4 } },
    grpoOptions.parse({ entropyCoef: 0.1 }), null).loss.item());
  close(bonus, Math.exp(0.5) - 0.2, "entropy bonus: 0.1 x mean entropy 2");
});

test("GRPO's loss types divide the same token losses differently", () => {
  const seqs = [
    rolloutSequence({ length: 1, fixed: { advantage: 1 } }),
    rolloutSequence({ length: 3, fixed: { advantage: 1 } }),
  ];
  const lp = [[0, 0, 0], [0, 0, 0]]; // ratio 1: each token's loss is -A = -1
  const mask = [[1, 0, 0], [1, 1, 1]];
  const value = (lossType: string) => lossAndGradient((input) => grpo.loss(input, grpoOptions.parse({ lossType }), null).loss, seqs, lp, mask).value;
  close(value("dapo"), -4 / 4, "dapo: 4 tokens");
  close(value("grpo"), (-1 - 1) / 2, "grpo: each sequence's mean");
  close(value("dr_grpo"), -4 / (2 * 4), "dr_grpo: sequences x maxNewTokens");
  close(value("bnpo"), -4 / 4, "bnpo: the micro-batch's tokens");
});

test("REBEL regresses the difference of the pair's log-ratios onto eta times their reward difference", () => {
  const eta = 0.5;
  // Pair 0: rewards 1 and 0; pair 1: 0 and 0. Old (sampled) log-probs sum to -1 each.
  const seqs = [
    rolloutSequence({ group: 0, length: 2, reward: 1, sampledLogprobs: Float32Array.from([-0.5, -0.5]) }),
    rolloutSequence({ group: 0, length: 2, reward: 0, sampledLogprobs: Float32Array.from([-0.5, -0.5]) }),
    rolloutSequence({ group: 1, length: 1, reward: 0, sampledLogprobs: Float32Array.from([-1]) }),
    rolloutSequence({ group: 1, length: 1, reward: 0, sampledLogprobs: Float32Array.from([-1]) }),
  ];
  const metrics = rebel.prepare({ sequences: seqs, groups: 2 }, rebelOptions.parse({ eta }), null);
  assert.deepEqual(metrics, { reward_gap: 0.5, frac_reward_zero_std: 0.5 });
  const lp = [[-0.25, -0.5], [-1, -1], [-0.5, 0], [-1, 0]];
  const mask = [[1, 1], [1, 1], [1, 0], [1, 0]];
  const { value, grad } = lossAndGradient((input) => rebel.loss(input, rebelOptions.parse({ eta }), null).loss, seqs, lp, mask);
  // Log-ratios: 0.25, -1, 0.5, 0; differences 1.25 and 0.5; residuals 1.25 - 0.5 = 0.75 and 0.5.
  close(value, (0.75 ** 2 + 0.5 ** 2) / 2, "mean over the two pairs");
  const expected = [0.75, 0.75, -0.75, -0.75, 0.5, 0, -0.5, 0];
  grad.forEach((g, i) => close(g, expected[i], `gradient of token ${i}`));
  assert.throws(() => lossAndGradient((input) => rebel.loss(input, rebelOptions.parse({}), null).loss, [seqs[0], seqs[2]], [[0, 0], [0, 0]], [[1, 1], [1, 0]]),
    /not a pair of one prompt/);
});

test("GAE on a short response: gamma 1 and lambda, by hand", () => {
  const rewards = Float32Array.from([0, 0, 1]);
  const values = Float32Array.from([0.5, 0.6, 0.7]);
  const lam = 0.9;
  // delta_t = r_t + V_{t+1} - V_t (V_3 = 0): 0.1, 0.1, 0.3; A_t = delta_t + lam * A_{t+1}.
  const a2 = 0.3, a1 = 0.1 + lam * a2, a0 = 0.1 + lam * a1;
  gae(rewards, values, 1, lam).forEach((a, t) => close(a, [a0, a1, a2][t], `A_${t}`));
  // lambda = 1: Monte-Carlo, the return minus the value.
  gae(rewards, values, 1, 1).forEach((a, t) => close(a, 1 - values[t], `A_${t} at lambda 1`));
});

test("RLOO advantages: each reward less the mean of its group's other rewards, after the KL is taken out with beta, optionally normalised", () => {
  const rewards = [1, 0, 0, 1, 1, 0];
  const make = (fields: (i: number) => Partial<RolloutSequence> = () => ({})) =>
    ({ sequences: rewards.map((reward, i) => rolloutSequence({ group: Math.floor(i / 3), reward, ...fields(i) })), groups: 2 });
  const plain = make();
  const metrics = rloo.prepare(plain, rlooOptions.parse({}), null);
  // Group 0: 1 - (0 + 0) / 2, 0 - (1 + 0) / 2, ...; group 1: 1 - (1 + 0) / 2, ..., 0 - (1 + 1) / 2.
  assert.deepEqual(plain.sequences.map((s) => s.fixed.advantage), [1, -0.5, -0.5, 0.5, 0.5, -1]);
  assert.equal(metrics.frac_reward_zero_std, 0);
  const normalised = make();
  rloo.prepare(normalised, rlooOptions.parse({ normalizeAdvantages: true }), null);
  const std = Math.sqrt((1 + 0.25 + 0.25 + 0.25 + 0.25 + 1) / 5); // the mean is already 0
  normalised.sequences.forEach((s, i) => close(s.fixed.advantage, plain.sequences[i].fixed.advantage / (std + 1e-4), `normalised advantage ${i}`));
  // beta 0.5: response 0 moved 2 nats from the reference (its reward becomes 0), the others none.
  const shaped = make((i) => ({ length: 2, sampledLogprobs: Float32Array.from([-1, -1]), refLogprobs: Float32Array.from(i === 0 ? [-2, -2] : [-1, -1]) }));
  rloo.prepare(shaped, rlooOptions.parse({ beta: 0.5 }), null);
  assert.deepEqual(shaped.sequences.slice(0, 3).map((s) => s.fixed.advantage), [0, 0, 0]);
  assert.equal(shaped.sequences[0].fixed.oldLogprob, -2);
  assert.throws(() => rloo.prepare({ sequences: [rolloutSequence({ group: 0 })], groups: 1 }, rlooOptions.parse({}), null), /needs at least 2/);
});

test("RLOO's loss: one clipped ratio per sequence, exp of the summed token log-ratios, averaged over the step's responses", () => {
  // Old log-probs sum to -2 for both; A = +1 and -1.
  const seqs = [
    rolloutSequence({ group: 0, length: 2, fixed: { advantage: 1, oldLogprob: -2 } }),
    rolloutSequence({ group: 0, length: 2, fixed: { advantage: -1, oldLogprob: -2 }, finished: false }),
  ];
  const lp = [[-0.5, -1], [-1, -0.9]];
  const mask = [[1, 1], [1, 1]];
  const { value, grad } = lossAndGradient((input) => rloo.loss(input, rlooOptions.parse({}), null).loss, seqs, lp, mask);
  // Sequence 0: ratio e^0.5 > 1.2 with A > 0, clipped: -1.2 and no gradient. Sequence 1: ratio e^0.1 inside: -(e^0.1 * -1).
  const r1 = Math.exp(0.1);
  close(value, (-1.2 + r1) / 2, "mean over the two responses");
  [0, 0, r1 / 2, r1 / 2].forEach((g, i) => close(grad[i], g, `gradient of token ${i}`));
  const metrics = scope(() => rloo.loss({ sequences: seqs, logprobs: tensor(lp), entropy: tensor([[0, 0], [0, 0]]), mask: tensor(mask), step: { sequences: 2, tokens: 4, maxNewTokens: 4 } },
    rlooOptions.parse({}), null).metrics);
  assert.equal(metrics["clip_ratio/high_mean"], 0.5);
  assert.equal(metrics["clip_ratio/low_mean"], 0);
  // A truncated response adds nothing when maskTruncatedCompletions is on.
  const masked = lossAndGradient((input) => rloo.loss(input, rlooOptions.parse({ maskTruncatedCompletions: true }), null).loss, seqs, lp, mask);
  close(masked.value, -1.2 / 2, "only the finished response counts");
  masked.grad.forEach((g, i) => close(g, 0, `gradient of token ${i}`));
});
