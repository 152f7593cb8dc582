// Ops take the tensors of one device: inputs on two backends are an error
// naming the op and the devices, before any kernel sees a foreign address.
// A second binding of the CPU addon stands in for another device: it has its
// own identity and computes exactly what `cpu` does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bindBackend } from "../../src/tensor/backend.js";
import { native } from "../../src/tensor/native.js";
import { adamwStep, add, attention, backward, cpu, linear, matmul, memory, mul, randn, scope, sum, zeros, zerosLike, type Backend } from "../../src/tensor/index.js";

const other = bindBackend("cpu", native);
/** The CPU addon under the other device's name: what a CUDA tensor looks like to the check. */
const namedCuda = bindBackend("cuda", native);

test("a binary op, a matmul and attention refuse inputs of two different cpu backends, naming the op", () => {
  const live = memory().cpu.live;
  scope(() => {
    const a = randn([2, 3], 1), b = randn([2, 3], 2, 1, 0, { backend: other });
    assert.throws(() => add(a, b), /^Error: add: its inputs are on two different cpu backends \(Tensor\(f32 \[2, 3\]\) and Tensor\(f32 \[2, 3\]\)\)/);
    assert.throws(() => matmul(a, randn([3, 4], 3, 1, 0, { backend: other })), /^Error: matmul: its inputs are on two different cpu backends/);
    const q = randn([1, 2, 2, 4], 4), k = randn([1, 2, 2, 4], 5), v = randn([1, 2, 2, 4], 6, 1, 0, { backend: other });
    assert.throws(() => attention(q, k, v), /^Error: attention: its inputs are on two different cpu backends/);
  });
  assert.equal(memory().cpu.live, live, "the refused ops allocated nothing that outlives their scope");
});

test("inputs on two devices are named by device, and a bias or an optimizer moment is checked too", () => {
  scope(() => {
    const x = randn([2, 3], 1), gpu = randn([2, 3], 2, 1, 0, { backend: namedCuda });
    assert.throws(() => add(gpu, x), /^Error: add: its inputs are on two devices, cuda and cpu/);
    const weight = randn([4, 3], 3);
    assert.throws(() => linear(x, weight, zeros([4], { backend: other })), /^Error: linear: its inputs are on two different cpu backends/);
    const param = randn([2, 3], 4);
    assert.throws(() => adamwStep(param, zerosLike(param), zerosLike(param), zerosLike(gpu), {
      lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, biasCorrection1: 0.1, biasCorrection2: 0.001,
    }), /^Error: adamwStep: its inputs are on two devices, cpu and cuda/);
  });
});

test("tensors all on a second binding compute and differentiate as on cpu, bit for bit", () => {
  const run = (backend: Backend) => scope(() => {
    const a = randn([3, 4], 7, 1, 0, { backend, requiresGrad: true }), b = randn([4, 2], 8, 1, 0, { backend, requiresGrad: true });
    const y = matmul(add(a, a), b);
    backward(sum(mul(y, y)));
    assert.equal(a.grad!.backend, backend);
    return [...y.toFloat32Array(), ...a.grad!.toFloat32Array(), ...b.grad!.toFloat32Array()];
  });
  assert.deepEqual(run(other), run(cpu));
});
