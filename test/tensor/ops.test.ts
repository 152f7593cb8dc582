// Every op's value and gradient against float64 references: values directly,
// gradients against central differences of the reference.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  add, attention, backward, div, dropout, embedding, exp, linear, log, matmul, mean, mul, reshape, rmsNorm, rope, ropeTables,
  maskedSum, noGrad, scale, scope, sliceRows, square, sub, sum, sumLastDim, swiglu, tensor, tokenLogProbs, silu, tanh, meanLastDim, sqrt,
} from "../../src/tensor/index.js";
import {
  assertClose, attentionRef, matmulRef, rmsNormRef, ropeRef, swigluRef, tokenLogProbsRef, type F64,
  type AttnGeometry,
} from "./reference.js";
import { check, input } from "./op-check.js";

test("elementwise ops with broadcasting", () => {
  const a = input([3, 5, 7], 1), b = input([7], 2), rowScale = input([3, 5, 1], 3, { offset: 2 });
  check("add trailing", [a, b], ([x, y]) => add(x, y), ([x, y]) => x.map((v, i) => v + y[i % 7]));
  check("sub trailing", [a, b], ([x, y]) => sub(x, y), ([x, y]) => x.map((v, i) => v - y[i % 7]));
  check("mul per row", [a, rowScale], ([x, y]) => mul(x, y), ([x, y]) => x.map((v, i) => v * y[Math.floor(i / 7)]));
  check("div per row", [a, rowScale], ([x, y]) => div(x, y), ([x, y]) => x.map((v, i) => v / y[Math.floor(i / 7)]));
  check("mul same shape", [a, input([3, 5, 7], 4)], ([x, y]) => mul(x, y), ([x, y]) => x.map((v, i) => v * y[i]));
  check("scale", [a], ([x]) => scale(x, -1.5, 0.25), ([x]) => x.map((v) => -1.5 * v + 0.25));
  const pos = input([4, 9], 5, { offset: 1.5 });
  check("exp", [a], ([x]) => exp(x), ([x]) => x.map(Math.exp));
  check("log", [pos], ([x]) => log(x), ([x]) => x.map(Math.log));
  check("sqrt", [pos], ([x]) => sqrt(x), ([x]) => x.map(Math.sqrt));
  check("square", [a], ([x]) => square(x), ([x]) => x.map((v) => v * v));
  check("silu", [a], ([x]) => silu(x), ([x]) => x.map((v) => v / (1 + Math.exp(-v))));
  check("tanh", [a], ([x]) => tanh(x), ([x]) => x.map(Math.tanh));
});

test("reductions", () => {
  const a = input([4, 6, 11], 7);
  check("sum", [a], ([x]) => reshape(sum(x), [1]), ([x]) => Float64Array.of(x.reduce((s, v) => s + v, 0)));
  check("mean", [a], ([x]) => reshape(mean(x), [1]), ([x]) => Float64Array.of(x.reduce((s, v) => s + v, 0) / x.length));
  const rowsOf = (x: F64, f: (r: number[]) => number) => Float64Array.from({ length: 24 }, (_, r) => f(Array.from(x.subarray(r * 11, r * 11 + 11))));
  check("sumLastDim", [a], ([x]) => sumLastDim(x), ([x]) => rowsOf(x, (r) => r.reduce((s, v) => s + v, 0)));
  const mask = Float32Array.from({ length: 24 * 11 }, (_, i) => (i % 3 === 0 || i > 200 ? 1 : 0));
  check("maskedSum", [a], ([x]) => maskedSum(x, tensor(mask, [4, 6, 11])), ([x]) => rowsOf(x.map((v, i) => v * mask[i]), (r) => r.reduce((s, v) => s + v, 0)));
  check("meanLastDim", [a], ([x]) => meanLastDim(x), ([x]) => rowsOf(x, (r) => r.reduce((s, v) => s + v, 0) / 11));
});

test("matmul: all transpose combinations, batched, odd sizes", () => {
  let seed = 10;
  for (const [M, N, K] of [[5, 7, 3], [1, 13, 17], [33, 2, 9]]) {
    for (const transA of [false, true]) for (const transB of [false, true]) {
      const a = input(transA ? [K, M] : [M, K], seed++), b = input(transB ? [N, K] : [K, N], seed++);
      check(`matmul ${M}x${N}x${K} ${transA}/${transB}`, [a, b], ([x, y]) => matmul(x, y, { transA, transB }),
        ([x, y]) => matmulRef(x, y, M, N, K, transA, transB));
    }
  }
  // batched with a shared right operand, and with one per batch entry
  const batchA = input([3, 4, 5], seed++), shared = input([5, 6], seed++), perBatch = input([3, 5, 6], seed++);
  const batchedRef = (x: F64, y: F64, sharedB: boolean) => {
    const out = new Float64Array(3 * 4 * 6);
    for (let b = 0; b < 3; b++) out.set(matmulRef(x.subarray(b * 20, b * 20 + 20), sharedB ? y : y.subarray(b * 30, b * 30 + 30), 4, 6, 5, false, false), b * 24);
    return out;
  };
  check("matmul batched shared B", [batchA, shared], ([x, y]) => matmul(x, y), ([x, y]) => batchedRef(x, y, true));
  check("matmul batched", [batchA, perBatch], ([x, y]) => matmul(x, y), ([x, y]) => batchedRef(x, y, false));
});

test("linear with bias (x @ W^T + b), and with its input dropped out first", () => {
  const x = input([2, 3, 7], 30), w = input([5, 7], 31), b = input([5], 32);
  const ref = ([xx, ww, bb]: F64[]) => matmulRef(xx, ww, 6, 5, 7, false, true).map((v, i) => v + bb[i % 5]);
  check("linear", [x, w, b], ([xx, ww, bb]) => linear(xx, ww, bb), ref);
  const drop = { p: 0.4, seed: 12 };
  const mask = scope(() => dropout(tensor(new Float32Array(42).fill(1), [2, 3, 7]), drop.p, drop.seed).toFloat32Array());
  check("linear with input dropout", [x, w, b], ([xx, ww, bb]) => linear(xx, ww, bb, { inputDropout: drop }),
    ([xx, ww, bb]) => ref([xx.map((v, i) => v * mask[i]), ww, bb]));
});

test("embedding gathers rows and scatter-adds its gradient (repeated ids)", () => {
  const table = input([11, 6], 40);
  const ids = Int32Array.from([3, 0, 3, 10, 7, 3]);
  check("embedding", [table], ([t]) => embedding(tensor(ids, [2, 3]), t), ([t]) => {
    const out = new Float64Array(ids.length * 6);
    ids.forEach((id, i) => out.set(t.subarray(id * 6, id * 6 + 6), i * 6));
    return out;
  });
  scope(() => {
    assert.throws(() => embedding(tensor(Int32Array.from([11]), [1]), tensor(new Float32Array(66), [11, 6])), /token id 11 at position 0 is outside the vocabulary/);
  });
});

test("rmsNorm", () => {
  const x = input([3, 4, 13], 50, { scale: 2 }), w = input([13], 51, { offset: 1 });
  check("rmsNorm", [x, w], ([a, b]) => rmsNorm(a, b, 1e-5), ([a, b]) => rmsNormRef(a, b, 12, 13, 1e-5));
});

test("rope rotates pairs and its backward rotates back", () => {
  const B = 2, T = 3, heads = 3, dim = 8;
  const positions = Int32Array.from([0, 1, 2, 7, 8, 9]);
  const invFreq = Float32Array.from({ length: dim / 2 }, (_, i) => 1 / 10000 ** ((2 * i) / dim));
  const x = input([B, T, heads, dim], 60);
  check("rope", [x], ([t]) => rope(t, ropeTables(positions, invFreq)), ([t]) => ropeRef(t, positions, invFreq, B * T, heads, dim));
});

test("swiglu", () => {
  check("swiglu", [input([4, 9], 70, { scale: 3 }), input([4, 9], 71)], ([g, u]) => swiglu(g, u), ([g, u]) => swigluRef(g, u));
});

test("attention: causal, grouped-query, caches, left padding, masked rows", () => {
  const cases: AttnGeometry[] = [
    { B: 2, T: 5, S: 5, H: 4, Hkv: 2, D: 8 },
    { B: 1, T: 4, S: 4, H: 7, Hkv: 1, D: 12 },
    { B: 2, T: 3, S: 9, H: 2, Hkv: 2, D: 6, kvLen: [7, 5], keyStart: [0, 2] },
    { B: 2, T: 4, S: 6, H: 2, Hkv: 1, D: 4, qPos: [0, 0], keyStart: [0, 2], kvLen: [4, 6] },
  ];
  let seed = 80;
  for (const g of cases) {
    const q = input([g.B, g.T, g.H, g.D], seed++), k = input([g.B, g.S, g.Hkv, g.D], seed++), v = input([g.B, g.S, g.Hkv, g.D], seed++);
    const opts = {
      queryStart: g.qPos ? Int32Array.from(g.qPos) : undefined,
      keyStart: g.keyStart ? Int32Array.from(g.keyStart) : undefined,
      kvLength: g.kvLen ? Int32Array.from(g.kvLen) : undefined,
    };
    check(`attention ${JSON.stringify(g)}`, [q, k, v], ([a, b, c]) => attention(a, b, c, opts), ([a, b, c]) => attentionRef(a, b, c, g));
  }
});

test("tokenLogProbs with entropy and temperature; padding targets give 0", () => {
  const rows = 6, vocab = 17;
  const logits = input([2, 3, vocab], 90, { scale: 3 });
  const targets = Int32Array.from([0, 16, 5, -1, 9, 5]);
  for (const temperature of [1, 0.7]) {
    check(`logprobs T=${temperature}`, [logits], ([l]) => tokenLogProbs(l, tensor(targets, [2, 3]), { temperature }).logprobs,
      ([l]) => tokenLogProbsRef(l, targets, rows, vocab, temperature).logp);
    check(`entropy T=${temperature}`, [logits], ([l]) => tokenLogProbs(l, tensor(targets, [2, 3]), { temperature, entropy: true }).entropy!,
      ([l]) => tokenLogProbsRef(l, targets, rows, vocab, temperature).entropy);
  }
});

test("dropout: a mask drawn from the seed alone, scaled by 1 / (1 - p), applied again by backward", () => {
  const p = 0.3, seed = 2 ** 40 + 7;
  const a = input([64, 50], 120);
  const mask = scope(() => dropout(tensor(new Float32Array(a.values.length).fill(1), a.shape), p, seed).toFloat32Array());
  const dropped = mask.filter((m) => m === 0).length / mask.length;
  assert.ok(Math.abs(dropped - p) < 0.03, `dropped ${dropped} of the elements for p = ${p}`);
  assert.ok(mask.every((m) => m === 0 || Math.abs(m - 1 / (1 - p)) < 1e-6), "kept elements are scaled by 1 / (1 - p)");
  check("dropout", [a], ([x]) => dropout(x, p, seed), ([x]) => x.map((v, i) => v * mask[i]));
  scope(() => {
    const x = tensor(Float32Array.from(a.values), a.shape);
    assert.deepEqual(dropout(x, p, seed).toFloat32Array(), dropout(x, p, seed).toFloat32Array(), "the same seed draws the same mask");
    assert.notDeepEqual(dropout(x, p, seed).toFloat32Array(), dropout(x, p, seed + 1).toFloat32Array());
    assert.deepEqual(dropout(x, 0, seed).toFloat32Array(), x.toFloat32Array(), "p = 0 keeps everything");
    assert.throws(() => dropout(x, 1, seed), /p must lie in \[0, 1\)/);
    assert.throws(() => dropout(x, 0.1, -1), /seed must be an integer/);
  });
});

test("views: reshape and sliceRows pass gradients through", () => {
  const x = input([5, 4], 100);
  check("sliceRows", [x], ([t]) => scale(sliceRows(t, 1, 3), 2), ([t]) => t.subarray(4, 16).map((v) => 2 * v));
  check("reshape", [x], ([t]) => reshape(t, [2, -1]), ([t]) => t);
});

test("gradients accumulate across backward calls and the tape is released", () => {
  scope(() => {
    const w = tensor([1, 2, 3], [3], { requiresGrad: true });
    for (let i = 0; i < 2; i++) backward(sum(mul(w, w)));
    assert.deepEqual(Array.from(w.grad!.toArray()), [4, 8, 12]);
    const twice = tensor([1, 1], [2], { requiresGrad: true });
    const seed = tensor([0.5, 2]);
    for (let i = 0; i < 2; i++) backward(reshape(add(twice, twice), [2, 1]), seed);
    assert.deepEqual(Array.from(twice.grad!.toArray()), [2, 8]);
    assert.deepEqual(Array.from(seed.toArray()), [0.5, 2], "backward changed the caller's seed");
    const y = sum(mul(w, w));
    backward(y);
    assert.throws(() => backward(y), /already released/);
    w.grad!.dispose();
  });
});

test("noGrad and detach record nothing", () => {
  scope(() => {
    const w = tensor([1, 2, 3], [3], { requiresGrad: true });
    const y = noGrad(() => mul(w, w));
    assert.equal(y.creator, null);
    assert.equal(y.requiresGrad, false);
    const d = mul(w, w).detach();
    assert.equal(d.creator, null);
    assert.deepEqual(Array.from(d.toArray()), [1, 4, 9]);
    assert.throws(() => backward(sum(d)), /does not depend on anything that requires a gradient/);
  });
});

test("exp (the vectorised kernel behind softmax, SiLU and log-probs) is within 2 ulp over the float range", () => {
  scope(() => {
    const xs = Float32Array.from({ length: 200_001 }, (_, i) => -87 + (i / 200_000) * 175.7);
    const out = noGrad(() => exp(tensor(xs))).toArray();
    // The bits of positive float32s are ordered, so their difference counts ulps (a NaN lies far off).
    const ulps = (values: ArrayLike<number>) => new Int32Array(Float32Array.from(values).buffer);
    assertClose(ulps(out), ulps(Array.from(xs, (x) => Math.exp(x))), 0, 2, "exp, in ulps");
    const edges = noGrad(() => exp(tensor([-Infinity, -100, 0, 100, Infinity, Number.NaN]))).toArray();
    assert.deepEqual(Array.from(edges), [0, 0, 1, Infinity, Infinity, Number.NaN]);
  });
});
