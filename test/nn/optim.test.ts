// AdamW and gradient clipping against torch.optim.AdamW and
// torch.nn.utils.clip_grad_norm_ (values in test/fixtures/core/ops.json),
// resuming from a saved optimizer state, and refused bad input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { AdamW, clipGradNorm, gradNormScale, parameter, type AdamWConfig } from "../../src/nn/index.js";
import { keep, memory, tensor, zeros } from "../../src/tensor/index.js";
import { assertClose } from "../tensor/reference.js";

const { optim } = JSON.parse(readFileSync(new URL("../fixtures/core/ops.json", import.meta.url), "utf8")) as {
  optim: {
    adamw: { config: AdamWConfig; param: number[]; grads: number[][]; after: number[][] };
    clip: { maxNorm: number; grads: Array<{ shape: number[]; data: number[] }>; norm: number; clipped: number[][] };
  };
};

function paramWithGrad(values: number[], shape: number[], name: string) {
  const p = parameter(tensor(values, shape), name);
  p.grad = keep(zeros(shape));
  return p;
}

test("AdamW matches torch.optim.AdamW over three steps (bias correction, decoupled decay)", () => {
  const { config, param, grads, after } = optim.adamw;
  const p = paramWithGrad(param, [5, 3], "w");
  const opt = new AdamW([p], config);
  grads.forEach((g, step) => {
    p.grad!.write(g);
    opt.update();
    assertClose(p.toArray(), after[step], 1e-5, 1e-6, `parameter after step ${step + 1}`);
  });
  assert.equal(opt.step, 3);
  opt.dispose();
  p.dispose();
});

test("AdamW resumes from its state dict exactly where it stopped", () => {
  const { config, param, grads, after } = optim.adamw;
  const first = paramWithGrad(param, [5, 3], "model.w");
  const opt = new AdamW([first], config);
  first.grad!.write(grads[0]);
  opt.update();
  const saved = opt.stateDict();
  assert.deepEqual([...saved.tensors.keys()], ["model.w.exp_avg", "model.w.exp_avg_sq"]);

  const resumed = paramWithGrad(Array.from(first.toArray()), [5, 3], "other-name");
  const opt2 = new AdamW([resumed], config);
  opt2.loadStateDict(
    { step: saved.step, tensors: new Map([...saved.tensors].map(([k, t]) => [k, t.toFloat32Array()])) },
    new Map([["model.w", resumed]]),
  );
  for (const step of [1, 2]) {
    resumed.grad!.write(grads[step]);
    opt2.update();
  }
  assertClose(resumed.toArray(), after[2], 1e-5, 1e-6, "resumed parameter after step 3");
  assert.throws(() => opt2.loadStateDict({ step: 1, tensors: new Map([["nope.exp_avg", new Float32Array(15)]]) }), /'nope.exp_avg' matches no parameter/);
  assert.throws(() => opt2.loadStateDict({ step: 1, tensors: new Map([["other-name.exp_avg", new Float32Array(15)]]) }), /exp_avg but no exp_avg_sq/);
  for (const t of [first, resumed]) t.dispose();
  opt.dispose();
  opt2.dispose();
});

test("AdamW refuses bad options by name", () => {
  assert.throws(() => new AdamW([], { lr: -1 }), /lr must be >= 0/);
  assert.throws(() => new AdamW([], { betas: [0.9, 1] }), /betas must lie in \[0, 1\)/);
  assert.throws(() => new AdamW([], { learningRate: 1 } as Partial<AdamWConfig>), /unknown option 'learningRate'/);
});

test("clipGradNorm matches torch's clip_grad_norm_ and skips non-finite norms", () => {
  const before = memory().cpu.live;
  const { maxNorm, grads, norm, clipped } = optim.clip;
  const params = grads.map((g, i) => {
    const p = paramWithGrad(new Array<number>(g.data.length).fill(0), g.shape, `p${i}`);
    p.grad!.write(g.data);
    return p;
  });
  const result = clipGradNorm(params, maxNorm);
  assert.equal(result.finite, true);
  assert.ok(Math.abs(result.norm - norm) < 1e-5 * norm, `norm ${result.norm} vs ${norm}`);
  params.forEach((p, i) => assertClose(p.grad!.toArray(), clipped[i], 1e-5, 1e-6, `clipped gradient ${i}`));

  params[0].grad!.write(new Array<number>(params[0].size).fill(Number.NaN));
  const untouched = params[1].grad!.toArray();
  const bad = clipGradNorm(params, maxNorm);
  assert.equal(bad.finite, false);
  assert.ok(Number.isNaN(bad.norm));
  assert.deepEqual(params[1].grad!.toArray(), untouched, "gradients change when the norm is NaN");
  for (const p of params) p.dispose();
  assert.equal(memory().cpu.live, before);
});

test("AdamW reading the gradients times gradNormScale's factor equals clipping them in place, then updating", () => {
  const before = memory().cpu.live;
  const { maxNorm, grads } = optim.clip;
  const { config } = optim.adamw;
  const build = () => grads.map((g, i) => {
    const p = paramWithGrad(g.data.map((_, k) => Math.sin(k + i)), g.shape, `p${i}`);
    p.grad!.write(g.data);
    return p;
  });
  const clipped = build(), fused = build();
  const clippedOpt = new AdamW(clipped, config), fusedOpt = new AdamW(fused, config);
  const clip = clipGradNorm(clipped, maxNorm);
  clippedOpt.update();
  const measured = gradNormScale(fused, maxNorm);
  assert.ok(measured.scale < 1, "the fixture's gradients are clipped");
  assert.equal(measured.norm, clip.norm);
  assert.equal(measured.scale, clip.scale);
  fusedOpt.update(config.lr, measured.scale);
  fused.forEach((p, i) => assertClose(p.toArray(), clipped[i].toArray(), 1e-7, 1e-6, `parameter ${i}`));
  // Adam's step barely depends on the gradients' scale; its moments do.
  const fusedState = fusedOpt.stateDict().tensors;
  for (const [name, moment] of clippedOpt.stateDict().tensors) assertClose(fusedState.get(name)!.toArray(), moment.toArray(), 1e-7, 1e-5, name);
  assert.deepEqual(gradNormScale(fused, Number.POSITIVE_INFINITY).scale, 1, "no clipping below the limit");
  for (const p of [...clipped, ...fused]) p.dispose();
  clippedOpt.dispose();
  fusedOpt.dispose();
  assert.equal(memory().cpu.live, before);
});
