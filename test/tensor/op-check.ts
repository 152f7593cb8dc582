// Checks an op's forward values and gradients against a float64 reference:
// values directly, gradients against central differences of the reference.
import assert from "node:assert/strict";
import { backward, memory, mul, scope, sum, tensor, type Tensor } from "../../src/tensor/index.js";
import { assertClose, numericGrad, randomValues, type F64 } from "./reference.js";

export interface Input { shape: number[]; values: F64; grad?: boolean }

export function f32(values: F64): F64 {
  return Float64Array.from(Float32Array.from(values));
}

export function input(shape: number[], seed: number, options: { scale?: number; grad?: boolean; offset?: number } = {}): Input {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = f32(randomValues(n, seed, options.scale ?? 1).map((v) => v + (options.offset ?? 0)));
  return { shape, values, grad: options.grad ?? true };
}

/** Checks forward values (rtol) and the gradient of sum(w * out) for every input with grad. */
export function check(name: string, inputs: Input[], ours: (ts: Tensor[]) => Tensor, ref: (xs: F64[]) => F64, tol = { value: 2e-5, grad: 2e-3 }): void {
  const before = memory().cpu.live;
  scope(() => {
    const ts = inputs.map((i) => tensor(Float32Array.from(i.values), i.shape, { requiresGrad: i.grad }));
    const out = ours(ts);
    const expected = ref(inputs.map((i) => i.values));
    assertClose(out.toArray(), expected, tol.value, tol.value, `${name} value`);
    const weights = f32(randomValues(expected.length, 99));
    const loss = sum(mul(out, tensor(Float32Array.from(weights), out.shape)));
    backward(loss);
    inputs.forEach((inp, k) => {
      if (!inp.grad) return;
      const numeric = numericGrad((x) => ref(inputs.map((other, j) => (j === k ? x : other.values))), inp.values, weights);
      const scaleOf = Math.max(1e-3, ...Array.from(numeric, Math.abs));
      assertClose(ts[k].grad!.toArray(), numeric, tol.grad, tol.grad * scaleOf, `${name} gradient of input ${k}`);
    });
    for (const t of ts) t.grad?.dispose();
  });
  assert.equal(memory().cpu.live, before, `${name} leaked memory`);
}
