// Creating tensors, the seeded generator, and moving rows between batches and caches.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  arange, full, gatherRows, memory, noGrad, ones, randn, Rng, scope, sliceRows, tensor, uniform, writeRows, zeros,
} from "../../src/tensor/index.js";

test("tensors from flat and nested arrays; shape errors name the problem", () => {
  scope(() => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.dtype, "f32");
    assert.deepEqual(Array.from(t.toArray()), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(tensor([[[7], [8]]]).shape, [1, 2, 1]);
    const ids = tensor(Int32Array.from([5, -1]), [2, 1]);
    assert.equal(ids.dtype, "i32");
    assert.ok(ids.toArray() instanceof Int32Array);
    assert.equal(tensor([2.5], []).item(), 2.5);
    assert.throws(() => tensor([[1, 2], [3]]), /ragged nested array at \[1\]/);
    assert.throws(() => tensor([1, 2, 3], [2, 2]), /3 values do not fill shape \[2, 2\]/);
    assert.throws(() => zeros([2, -1]), /invalid shape \[2, -1\]/);
    assert.throws(() => t.item(), /6 elements, expected 1/);
  });
});

test("zeros, ones, full, arange", () => {
  scope(() => {
    assert.deepEqual(Array.from(zeros([2, 2]).toArray()), [0, 0, 0, 0]);
    assert.deepEqual(Array.from(ones([3]).toArray()), [1, 1, 1]);
    assert.deepEqual(Array.from(full([2], -0.5).toArray()), [-0.5, -0.5]);
    assert.deepEqual(Array.from(full([2], 7, { dtype: "i32" }).toArray()), [7, 7]);
    const r = arange(4, { dtype: "i32" });
    assert.equal(r.dtype, "i32");
    assert.deepEqual(Array.from(r.toArray()), [0, 1, 2, 3]);
  });
});

test("the generator is reproducible from its seed and has the right moments", () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const seqA = Array.from({ length: 8 }, () => a.nextUint32());
  assert.deepEqual(seqA, Array.from({ length: 8 }, () => b.nextUint32()));
  assert.notDeepEqual(seqA, Array.from({ length: 8 }, () => c.nextUint32()));
  scope(() => {
    const moments = (values: Float32Array) => {
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      return { mean, variance: values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length };
    };
    const x = randn([20000], 7, 2, 1).toFloat32Array();
    assert.deepEqual(x.subarray(0, 5), randn([5], 7, 2, 1).toArray());
    const normal = moments(x);
    assert.ok(Math.abs(normal.mean - 1) < 0.05, `mean ${normal.mean}`);
    assert.ok(Math.abs(normal.variance - 4) < 0.15, `variance ${normal.variance}`);
    const u = uniform([10000], 8, -1, 3).toFloat32Array();
    assert.ok(u.every((v) => v >= -1 && v < 3));
    // Uniform on [-1, 3): mean 1, variance 4^2 / 12.
    const flat = moments(u);
    assert.ok(Math.abs(flat.mean - 1) < 0.05 && Math.abs(flat.variance - 16 / 12) < 0.05, `mean ${flat.mean}, variance ${flat.variance}`);
  });
  const ints = new Rng(1);
  const counts = new Array<number>(7).fill(0);
  for (let i = 0; i < 7000; i++) counts[ints.int(7)]++;
  // Anything outside 0..6 (or a fraction) would be lost from the counts; each value is drawn about 1000 times.
  assert.equal(counts.reduce((a, b) => a + b, 0), 7000);
  assert.ok(counts.every((n) => Math.abs(n - 1000) < 150), `counts ${counts}`);
});

test("sliceRows shares memory; gatherRows compacts a batch; writeRows appends into a cache at per-row offsets", () => {
  const before = memory().cpu.live;
  scope(() => {
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    const middle = sliceRows(x, 1, 2);
    x.write([10, 20, 30, 40, 50, 60]);
    assert.deepEqual(Array.from(middle.toArray()), [30, 40, 50, 60]);
    const picked = noGrad(() => gatherRows(x, [2, 0]));
    assert.deepEqual(Array.from(picked.toArray()), [50, 60, 10, 20]);
    assert.throws(() => gatherRows(x, [3]), /row 3 of \[3, 2\]/);

    // cache [B=2, S=4, 1 head, D=2]; new keys [2, 2, 1, 2] land at positions 1 and 2
    const cache = zeros([2, 4, 1, 2]);
    writeRows(cache, tensor([1, 1, 2, 2, 3, 3, 4, 4], [2, 2, 1, 2]), Int32Array.from([1, 2]));
    assert.deepEqual(Array.from(cache.toArray()), [0, 0, 1, 1, 2, 2, 0, 0, 0, 0, 0, 0, 3, 3, 4, 4]);
    const ids = tensor(Int32Array.from([1, 2, 3, 4]), [2, 2]);
    assert.deepEqual(Array.from(noGrad(() => gatherRows(ids, [1])).toArray()), [3, 4]);
  });
  assert.equal(memory().cpu.live, before);
});
