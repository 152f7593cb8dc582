import { test } from "node:test";
import assert from "node:assert/strict";
import {
  backward, checkpoint, keep, linear, memory, mul, noGrad, randn, Rng, scale, scope, sum, tanh, tensor, type Tensor,
} from "../../src/tensor/index.js";

/** A leaf that takes gradients, outside every scope. */
function leaf(shape: number[], seed: number): Tensor {
  const t = keep(randn(shape, new Rng(seed), 0.5));
  t.requiresGrad = true;
  return t;
}

function takeGrad(t: Tensor): Float32Array {
  const g = t.grad!.toFloat32Array();
  t.grad!.dispose();
  t.grad = null;
  return g;
}

/** Two tanh layers of width 64 on a [32, 64] input: every intermediate is as large as the input. */
function segment([x]: readonly Tensor[], w1: Tensor, w2: Tensor): Tensor {
  return tanh(linear(tanh(linear(x, w1)), w2));
}

test("a checkpointed segment gives exactly the gradients of the plain computation, to its inputs and to the leaves inside it", () => {
  const x0 = leaf([32, 64], 1), w1 = leaf([64, 64], 2), w2 = leaf([64, 64], 3), w3 = leaf([64, 64], 4);
  const before = memory().cpu.live;
  const run = (checkpointed: boolean) => {
    scope(() => {
      const x = scale(x0, 2); // an input with a history upstream
      let h = checkpointed ? checkpoint((inputs) => segment(inputs, w1, w2), [x]) : segment([x], w1, w2);
      // a second segment after the first, and a nested one inside it
      h = checkpointed
        ? checkpoint(([y]) => linear(checkpoint(([z]) => tanh(z), [y]), w3), [h])
        : linear(tanh(h), w3);
      backward(sum(mul(h, randn(h.shape, new Rng(9), 1))));
    });
    return [x0, w1, w2, w3].map(takeGrad);
  };
  const plain = run(false), checkpointed = run(true);
  plain.forEach((g, i) => assert.deepEqual(checkpointed[i], g, `gradient of leaf ${i}`));
  assert.equal(memory().cpu.live, before, "nothing leaked");
  for (const t of [x0, w1, w2, w3]) t.dispose();
});

test("a checkpointed segment keeps only its input and output until backward", () => {
  const w1 = leaf([64, 64], 2), w2 = leaf([64, 64], 3);
  const heldUntilBackward = (checkpointed: boolean) => scope(() => {
    const x = randn([256, 64], new Rng(5), 1);
    const base = memory().cpu.live;
    const y = checkpointed ? checkpoint((inputs) => segment(inputs, w1, w2), [x]) : segment([x], w1, w2);
    const held = memory().cpu.live - base;
    backward(sum(y));
    takeGrad(w1);
    takeGrad(w2);
    return held;
  });
  const plain = heldUntilBackward(false), checkpointed = heldUntilBackward(true);
  const bytes = 256 * 64 * 4;
  assert.equal(checkpointed, bytes, "with checkpointing only the output is new (the input was already there)");
  assert.ok(plain >= 3 * bytes, `the plain segment keeps its intermediates (${plain} bytes)`);
  w1.dispose();
  w2.dispose();
});

test("without gradients, or when nothing inside takes one, a checkpointed segment records nothing", () => {
  const w = leaf([8, 8], 2);
  scope(() => {
    const x = tensor(new Float32Array(16).fill(0.5), [2, 8]);
    const quiet = noGrad(() => checkpoint(([input]) => linear(input, w), [x]));
    assert.equal(quiet.creator, null);
    w.requiresGrad = false;
    const frozen = checkpoint(([input]) => linear(input, w), [x]);
    assert.equal(frozen.creator, null);
    assert.deepEqual(frozen.toFloat32Array(), quiet.toFloat32Array());
  });
  w.dispose();
});
