import { test } from "node:test";
import assert from "node:assert/strict";
import { bfloat16ToFloat32, float32ToBfloat16 } from "../../src/models/half-float.js";
import { AdamW, parameter } from "../../src/nn/index.js";
import { backward, cast, ElementType, embedding, empty, linear, matmul, memory, noGrad, randn, resetPeakMemory, Rng, scope, tensor, type Tensor } from "../../src/tensor/index.js";
import { native } from "../../src/tensor/native.js";
import { eachIsa } from "./each-isa.js";

function rawBits(t: { backend: { read(addr: number, offset: number, out: ArrayBufferView): void }; addr: number; size: number }): Uint16Array {
  const out = new Uint16Array(t.size);
  t.backend.read(t.addr, 0, out);
  return out;
}

test("cast to bf16 rounds to nearest even with PyTorch's bits, specials included, and back exactly", () => scope(() => {
  const rng = new Rng(4);
  const specials = [0, -0, 1, -1, Infinity, -Infinity, NaN, 3.4e38, -3.4e38, 1e-40, -1e-45, 1.00390625, 1.01171875, 65504.5];
  const values = Float32Array.from([...specials, ...Array.from({ length: 5000 }, () => rng.normal() * 10 ** rng.int(20) * 1e-8)]);
  // Ties: the halfway points between neighbours, whose low half is exactly 0x8000.
  const ties = new Uint32Array(64).map((_, i) => ((0x3f80 + i) << 16) | 0x8000);
  const all = Float32Array.from([...values, ...new Float32Array(ties.buffer)]);
  const half = cast(tensor(all, [all.length]), "bf16");
  assert.equal(half.dtype, "bf16");
  assert.equal(half.bytes, all.length * 2);
  assert.deepEqual(rawBits(half), float32ToBfloat16(all));
  const back = cast(half, "f32").toFloat32Array();
  assert.deepEqual(back, bfloat16ToFloat32(float32ToBfloat16(all)));
  assert.deepEqual(half.toFloat32Array(), back, "toFloat32Array widens bf16");
}));

test("writing host values into a bf16 tensor rounds them as cast does", () => scope(() => {
  const values = Float32Array.from({ length: 777 }, (_, i) => Math.sin(i) * 1e3);
  const half = cast(tensor(new Float32Array(777), [777]), "bf16").write(values);
  assert.deepEqual(rawBits(half), float32ToBfloat16(values));
}));

test("bf16 tensors move to and from the host in 4 MB chunks, never through a float32 copy of the tensor", () => scope(() => {
  const size = (3 << 20) + 12345;
  const half = empty([size], "bf16");
  const values = Float32Array.from({ length: size }, (_, i) => (i % 1000) / 7 - 50);
  resetPeakMemory();
  const before = memory().cpu.live;
  half.write(values);
  const back = half.toFloat32Array();
  const extra = memory().cpu.peak - before;
  assert.ok(extra <= 4 << 20, `converting took ${extra} extra bytes`);
  assert.deepEqual(back, bfloat16ToFloat32(float32ToBfloat16(values)));
}));

test("a product with bf16 weights equals the same product with the weights widened to f32, bit for bit", () => {
  const rng = new Rng(11);
  // Few rows (streamed dot products, ragged K tails) and many (packed panels), with a padded ldb and a bias;
  // the weight stored [N, K] (x W^T, forward) and [K, N] (g W, the input's gradient).
  const shapes = [[1, 1, 1], [1, 37, 19], [2, 5, 16], [5, 33, 17], [6, 130, 33], [7, 4, 130], [13, 31, 7], [33, 64, 1030], [65, 45, 100], [150, 67, 259]];
  eachIsa((isa) => {
    for (const [M, N, K] of shapes) {
      for (const transB of [1, 0] as const) {
        scope(() => {
          const ldb = (transB ? K : N) + (N % 3);
          const stored = randn([transB ? N : K, ldb], rng, 1);
          const half = cast(stored, "bf16");
          const wide = cast(half, "f32");
          const x = randn([M, K], rng, 1);
          const bias = randn([N], rng, 1);
          const run = (b: number, bType: ElementType, beta: number) => {
            const c = tensor(new Float32Array(M * N).fill(0.5), [M, N]);
            native.gemm(M, N, K, x.addr, K, 0, b, ldb, transB, c.addr, N, -0.75, beta, bias.addr, 1, 0, 0, 0, bType);
            return c.toFloat32Array();
          };
          for (const beta of [0, 1]) {
            assert.deepEqual(run(half.addr, 1, beta), run(wide.addr, 0, beta), `${isa} ${M}x${N}x${K} transB ${transB} beta ${beta}`);
          }
        });
      }
    }
  });
});

test("gemm refuses a batched bf16 B", () => scope(() => {
  const w = cast(randn([4, 4], new Rng(1), 1), "bf16");
  const x = randn([2, 4, 4], new Rng(2), 1), c = randn([2, 4, 4], new Rng(3), 1);
  assert.throws(() => native.gemm(4, 4, 4, x.addr, 4, 0, w.addr, 4, 1, c.addr, 4, 1, 0, 0, 2, 16, 0, 16, ElementType.Bf16), /gemm: bType Bf16/);
}));

test("linear and embedding read bf16 weights; gradients flow through them to the input, never into them", () => scope(() => {
  const rng = new Rng(5);
  const w = randn([40, 24], rng, 1), ids = tensor(Int32Array.from([3, 0, 39, 3]), [2, 2]);
  const half = cast(w, "bf16"), wide = cast(half, "f32");
  const x = randn([3, 24], rng, 1);
  assert.deepEqual(linear(x, half).toFloat32Array(), linear(x, wide).toFloat32Array());
  assert.deepEqual(embedding(ids, half).toFloat32Array(), embedding(ids, wide).toFloat32Array());
  const p = parameter(cast(w, "bf16"), "frozen.weight");
  assert.equal(p.requiresGrad, false, "a bf16 parameter is frozen");
  const trainable = parameter(randn([3, 24], rng, 1), "x");
  const bias = parameter(randn([40], rng, 1), "b");
  const gradients = (weight: Tensor) => {
    const g = randn([3, 40], new Rng(6), 1);
    backward(linear(trainable, weight, bias), g);
    const out = [trainable.grad!.toFloat32Array(), bias.grad!.toFloat32Array()];
    trainable.grad!.dispose(); bias.grad!.dispose();
    trainable.grad = null; bias.grad = null;
    return out;
  };
  assert.deepEqual(gradients(half), gradients(wide), "dx and dbias through the bf16 weight are those through its widened copy");
  const claimed = cast(w, "bf16");
  claimed.requiresGrad = true;
  assert.throws(() => linear(trainable, claimed), /bf16 weight .*frozen/);
  assert.doesNotThrow(() => noGrad(() => linear(trainable, claimed)));
  assert.throws(() => matmul(x, half, { transB: true }), /f32/);
  assert.throws(() => new AdamW([p]), /frozen\.weight.*bf16/);
  p.dispose();
  trainable.dispose();
  bias.dispose();
}));
