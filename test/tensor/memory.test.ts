// Memory is owned: scopes free what they created, a training step leaves
// nothing behind, and errors do not leak.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { keep, memory, resetPeakMemory, scope, tensor, zeros, add } from "../../src/tensor/index.js";
import { AdamW } from "../../src/nn/index.js";
import { randomBatch, TinyDecoder, trainStep, type PeerConfig } from "../../bench/lib/tiny-decoder.js";

const live = () => memory().cpu.live;

test("scope frees everything but its result, which moves to the enclosing scope", () => {
  const before = live();
  const kept = scope(() => {
    const inner = scope(() => {
      const a = zeros([100]);
      const b = zeros([100]);
      return { sum: add(a, b), list: [b] };
    });
    assert.equal(inner.sum.disposed, false);
    return inner.sum;
  });
  assert.equal(kept.disposed, false);
  assert.equal(live(), before + 400);
  kept.dispose();
  assert.equal(live(), before);
});

test("an error thrown inside a scope still frees its tensors", () => {
  const before = live();
  assert.throws(() => scope(() => {
    zeros([1000]);
    throw new Error("boom");
  }), /boom/);
  assert.equal(live(), before);
});

test("keep() escapes scopes; use after dispose is a clear error", () => {
  const t = scope(() => keep(tensor([1, 2, 3])));
  assert.deepEqual(Array.from(t.toArray()), [1, 2, 3]);
  t.dispose();
  assert.throws(() => t.toArray(), /used after dispose/);
});

test("a training step leaks nothing and peak memory is measured", () => {
  const small: PeerConfig = {
    name: "memory-test", vocab: 50, d_model: 64, layers: 2, heads: 4, kv_heads: 2, ffn: 96, rope_theta: 10000, rms_eps: 1e-6,
    tie_embeddings: false, train: { batch: 2, seq: 16 }, generate: { batch: 1, prompt: 1, new_tokens: 1 },
  };
  const model = new TinyDecoder(small, 1);
  const opt = new AdamW(model.parameters(), { lr: 1e-3 });
  const { ids, targets } = scope(() => {
    const b = randomBatch(small, 2);
    return { ids: keep(b.ids), targets: keep(b.targets) };
  });
  const losses = [trainStep(model, opt, ids, targets)];
  const afterFirst = live();
  resetPeakMemory();
  for (let i = 0; i < 3; i++) losses.push(trainStep(model, opt, ids, targets));
  assert.equal(live(), afterFirst, "live bytes changed across steps");
  assert.ok(memory().cpu.peak > afterFirst, "the step's activations show in the peak");
  assert.ok(losses[3] < losses[0], `loss did not fall: ${losses.join(", ")}`);
  model.dispose(); opt.dispose(); ids.dispose(); targets.dispose();
});

test("with ASTARPO_DEBUG_LEAKS=1 a tensor collected without dispose() is reported, and disposed ones are not", () => {
  const script = [
    'import { tensor, keep } from "./src/tensor/index.ts";',
    "keep(tensor([1, 2, 3])).dispose();",
    "keep(tensor([4, 5]));",
    "globalThis.gc();",
    "await new Promise((resolve) => setTimeout(resolve, 50));",
  ].join("\n");
  const run = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", "--input-type=module", "-e", script], {
    env: { ...process.env, ASTARPO_DEBUG_LEAKS: "1" }, encoding: "utf8", timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /tensor f32 \[2\] was never disposed/);
  assert.doesNotMatch(run.stderr, /\[3\] was never disposed/);
});
