// The native attention kernels against a float64 softmax-attention reference:
// outputs, log-sum-exp, and the analytic gradients (dq, dk, dv), on odd
// shapes with caches, grouped-query ratios 1/2/7, left padding, rows past the
// filled cache and fully masked queries, on every instruction set the machine
// has; and the kernels' gradients against central differences of a loss.
import { test } from "node:test";
import assert from "node:assert/strict";
import { native } from "../../src/tensor/native.js";
import { eachIsa } from "./each-isa.js";
import { assertClose, dot, numericGrad, randomValues, type F64 } from "./reference.js";

interface Geometry {
  B: number; T: number; S: number; H: number; Hkv: number; D: number;
  scale?: number;
  qPos?: number[]; keyStart?: number[]; kvLen?: number[];
}

interface Forward { out: F64; lse: F64 }
interface Gradients { dq: F64; dk: F64; dv: F64 }

const scaleOf = (g: Geometry): number => g.scale ?? 1 / Math.sqrt(g.D);

/** Keys visible to query i of row b, with the defaults of the kernel's contract. */
function visibleKeys(g: Geometry, b: number, i: number): number[] {
  const len = g.kvLen?.[b] ?? g.S, start = g.keyStart?.[b] ?? 0, pos = g.qPos?.[b] ?? len - g.T;
  const keys: number[] = [];
  for (let j = Math.max(0, start); j < Math.min(len, pos + i + 1); j++) keys.push(j);
  return keys;
}

const qIndex = (g: Geometry, b: number, i: number, h: number): number => ((b * g.T + i) * g.H + h) * g.D;
const kvIndex = (g: Geometry, b: number, j: number, h: number): number => ((b * g.S + j) * g.Hkv + h) * g.D;

/** Softmax weights of one query over its visible keys (empty when none is visible), and their log-sum-exp. */
function probabilities(g: Geometry, q: F64, k: F64, b: number, i: number, h: number): { keys: number[]; p: number[]; lse: number } {
  const keys = visibleKeys(g, b, i), kh = Math.floor(h / (g.H / g.Hkv));
  const scores = keys.map((j) => scaleOf(g) * dot(q.subarray(qIndex(g, b, i, h), qIndex(g, b, i, h) + g.D), k.subarray(kvIndex(g, b, j, kh), kvIndex(g, b, j, kh) + g.D)));
  const m = Math.max(...scores);
  const z = scores.reduce((s, x) => s + Math.exp(x - m), 0);
  return { keys, p: scores.map((x) => Math.exp(x - m) / z), lse: keys.length ? m + Math.log(z) : -Infinity };
}

function forwardRef(g: Geometry, q: F64, k: F64, v: F64): Forward {
  const out = new Float64Array(q.length), lse = new Float64Array(g.B * g.H * g.T);
  for (let b = 0; b < g.B; b++)
    for (let h = 0; h < g.H; h++) {
      const kh = Math.floor(h / (g.H / g.Hkv));
      for (let i = 0; i < g.T; i++) {
        const { keys, p, lse: l } = probabilities(g, q, k, b, i, h);
        lse[(b * g.H + h) * g.T + i] = l;
        keys.forEach((j, n) => {
          for (let d = 0; d < g.D; d++) out[qIndex(g, b, i, h) + d] += p[n] * v[kvIndex(g, b, j, kh) + d];
        });
      }
    }
  return { out, lse };
}

/** dP = dout . v, dS = P (dP - sum P dP); dq = scale dS k, dk = scale dS^T q, dv = P^T dout. */
function backwardRef(g: Geometry, q: F64, k: F64, v: F64, dout: F64): Gradients {
  const dq = new Float64Array(q.length), dk = new Float64Array(k.length), dv = new Float64Array(v.length), scale = scaleOf(g);
  for (let b = 0; b < g.B; b++)
    for (let h = 0; h < g.H; h++) {
      const kh = Math.floor(h / (g.H / g.Hkv));
      for (let i = 0; i < g.T; i++) {
        const { keys, p } = probabilities(g, q, k, b, i, h);
        const qi = qIndex(g, b, i, h), douti = dout.subarray(qi, qi + g.D);
        const dp = keys.map((j) => dot(douti, v.subarray(kvIndex(g, b, j, kh), kvIndex(g, b, j, kh) + g.D)));
        const mean = dp.reduce((s, x, n) => s + x * p[n], 0);
        keys.forEach((j, n) => {
          const ds = p[n] * (dp[n] - mean), kj = kvIndex(g, b, j, kh);
          for (let d = 0; d < g.D; d++) {
            dq[qi + d] += scale * ds * k[kj + d];
            dk[kj + d] += scale * ds * q[qi + d];
            dv[kj + d] += p[n] * douti[d];
          }
        });
      }
    }
  return { dq, dk, dv };
}

/** Per-row arguments travel as Int32Array, or 0 for the default. */
const rowArg = (values?: number[]): Int32Array | 0 => (values ? Int32Array.from(values) : 0);

/** Runs the native kernels on fp32 copies; outputs start as NaN so every element must be written. */
function runNative(g: Geometry, q: F64, k: F64, v: F64, dout: F64 | null): Forward & Partial<Gradients> {
  const buffers: number[] = [];
  const upload = (values: ArrayLike<number>): number => {
    const p = native.alloc(Math.max(4, values.length * 4)) as number;
    buffers.push(p);
    native.copyIn(p, 0, Float32Array.from(values));
    return p;
  };
  const garbage = (n: number): number => upload(new Float32Array(n).fill(NaN));
  const download = (p: number, n: number): F64 => {
    const out = new Float32Array(n);
    native.copyOut(p, 0, out);
    return Float64Array.from(out);
  };
  try {
    const { B, T, S, H, Hkv, D } = g;
    const rows = [rowArg(g.qPos), rowArg(g.keyStart), rowArg(g.kvLen)] as const;
    const pq = upload(q), pk = upload(k), pv = upload(v), pout = garbage(q.length), plse = garbage(B * H * T);
    native.attentionForward(pq, pk, pv, pout, plse, B, T, S, H, Hkv, D, scaleOf(g), ...rows);
    const result: Forward & Partial<Gradients> = { out: download(pout, q.length), lse: download(plse, B * H * T) };
    if (dout) {
      const pdq = garbage(q.length), pdk = garbage(k.length), pdv = garbage(v.length);
      native.attentionBackward(pq, pk, pv, pout, plse, upload(dout), pdq, pdk, pdv, B, T, S, H, Hkv, D, scaleOf(g), ...rows);
      result.dq = download(pdq, q.length);
      result.dk = download(pdk, k.length);
      result.dv = download(pdv, v.length);
    }
    return result;
  } finally {
    for (const p of buffers) native.free(p);
  }
}

function inputs(g: Geometry, seed: number): { q: F64; k: F64; v: F64; dout: F64 } {
  const fp32 = (x: F64): F64 => Float64Array.from(Float32Array.from(x));
  return {
    q: fp32(randomValues(g.B * g.T * g.H * g.D, seed)),
    k: fp32(randomValues(g.B * g.S * g.Hkv * g.D, seed + 1)),
    v: fp32(randomValues(g.B * g.S * g.Hkv * g.D, seed + 2)),
    dout: fp32(randomValues(g.B * g.T * g.H * g.D, seed + 3)),
  };
}

const cases: Geometry[] = [
  // training: T == S, plain causal, several key and query blocks
  { B: 2, T: 150, S: 150, H: 2, Hkv: 2, D: 64 },
  // grouped 2, odd head size, per-row caches and left padding
  { B: 3, T: 5, S: 23, H: 4, Hkv: 2, D: 12, kvLen: [23, 11, 5], keyStart: [0, 3, 0] },
  // decoding one token, grouped 7, rows of different lengths
  { B: 3, T: 1, S: 150, H: 14, Hkv: 2, D: 64, kvLen: [150, 77, 1], keyStart: [0, 40, 0] },
  // queries before the first visible key (fully masked rows) and queries past the filled cache
  { B: 2, T: 9, S: 70, H: 7, Hkv: 1, D: 8, qPos: [0, 10], keyStart: [5, 0], kvLen: [70, 15] },
  // the default position kvLen - T is negative: the first queries see nothing
  { B: 2, T: 6, S: 6, H: 2, Hkv: 1, D: 16, kvLen: [3, 6] },
  // more queries than key slots; a row whose padding covers the whole cache
  { B: 2, T: 8, S: 4, H: 3, Hkv: 3, D: 20, qPos: [0, 0], keyStart: [0, 4], kvLen: [4, 4] },
  // several query blocks and row chunks per task with grouped heads (prefill into a cache)
  { B: 1, T: 40, S: 100, H: 14, Hkv: 2, D: 64 },
  // a wide head: several column tiles
  { B: 2, T: 3, S: 40, H: 4, Hkv: 1, D: 128, kvLen: [40, 17] },
  // large scores stay finite (running max), a scale other than 1/sqrt(D); one
  // (row, kv head) pair, so with several threads the backward splits its keys
  { B: 1, T: 70, S: 150, H: 4, Hkv: 1, D: 24, scale: 3, keyStart: [7], kvLen: [140] },
];

test("attention forward and backward match the float64 reference on every instruction set", () => {
  cases.forEach((g, n) => {
    const { q, k, v, dout } = inputs(g, 100 + 10 * n);
    const ref = forwardRef(g, q, k, v), grads = backwardRef(g, q, k, v, dout);
    eachIsa((isa) => {
      const what = `${isa} ${JSON.stringify(g)}`;
      const ours = runNative(g, q, k, v, dout);
      assertClose(ours.out, ref.out, 1e-4, 2e-5, `${what} out`);
      // fully masked queries have lse -Infinity in both, at the same places
      assertClose(ours.lse, ref.lse, 1e-5, 1e-5, `${what} lse`);
      assertClose(ours.dq!, grads.dq, 1e-3, 1e-4, `${what} dq`);
      assertClose(ours.dk!, grads.dk, 1e-3, 1e-4, `${what} dk`);
      assertClose(ours.dv!, grads.dv, 1e-3, 1e-4, `${what} dv`);
    });
  });
});

test("fully masked queries give 0 and unseen keys get 0 gradient", () => {
  const g: Geometry = { B: 2, T: 4, S: 10, H: 2, Hkv: 1, D: 8, qPos: [0, 6], keyStart: [2, 0], kvLen: [10, 8] };
  const { q, k, v, dout } = inputs(g, 7);
  eachIsa((isa) => {
    const ours = runNative(g, q, k, v, dout);
    for (let h = 0; h < g.H; h++)
      for (let i = 0; i < 2; i++) {
        // row 0: queries 0 and 1 sit before keyStart 2
        assert.equal(ours.lse[h * g.T + i], -Infinity, `${isa} lse of masked query ${i}, head ${h}`);
        assert.ok(ours.out.subarray(qIndex(g, 0, i, h), qIndex(g, 0, i, h) + g.D).every((x) => x === 0), `${isa} out of masked query ${i}`);
        assert.ok(ours.dq!.subarray(qIndex(g, 0, i, h), qIndex(g, 0, i, h) + g.D).every((x) => x === 0), `${isa} dq of masked query ${i}`);
      }
    // row 0 sees keys 2..3 at most; row 1 keys 0..7
    const unseen = [[0, 0], [0, 1], ...[4, 5, 6, 7, 8, 9].map((j) => [0, j]), [1, 8], [1, 9]];
    for (const [b, j] of unseen) {
      const at = kvIndex(g, b, j, 0);
      assert.ok(ours.dk!.subarray(at, at + g.D).every((x) => x === 0), `${isa} dk of unseen key ${j} of row ${b}`);
      assert.ok(ours.dv!.subarray(at, at + g.D).every((x) => x === 0), `${isa} dv of unseen key ${j} of row ${b}`);
    }
  });
});

test("kernel gradients match central differences of a scalar loss through the float64 forward", () => {
  const g: Geometry = { B: 2, T: 3, S: 5, H: 4, Hkv: 2, D: 6, kvLen: [5, 4], keyStart: [0, 1] };
  const { q, k, v, dout: weights } = inputs(g, 31);
  const loss = (x: { q: F64; k: F64; v: F64 }): F64 => forwardRef(g, x.q, x.k, x.v).out;
  const numeric = {
    dq: numericGrad((x) => loss({ q: x, k, v }), q, weights),
    dk: numericGrad((x) => loss({ q, k: x, v }), k, weights),
    dv: numericGrad((x) => loss({ q, k, v: x }), v, weights),
  };
  eachIsa((isa) => {
    const ours = runNative(g, q, k, v, weights);
    for (const name of ["dq", "dk", "dv"] as const) assertClose(ours[name]!, numeric[name], 1e-3, 1e-4, `${isa} ${name} vs central differences`);
  });
});

test("bad geometry is rejected with a message naming the argument", () => {
  const p = native.alloc(4096) as number;
  try {
    const call = (B: number, T: number, S: number, H: number, Hkv: number, D: number, kvLen: Int32Array | 0 = 0): void => {
      native.attentionForward(p, p, p, p, 0, B, T, S, H, Hkv, D, 1, 0, 0, kvLen);
    };
    assert.throws(() => call(1, 2, 2, 3, 2, 4), /H = 3 .*Hkv = 2/);
    assert.throws(() => call(1, 0, 2, 2, 2, 4), /T/);
    assert.throws(() => call(2, 1, 4, 2, 2, 4, Int32Array.from([4, 5])), /kvLen\[1\] = 5/);
    assert.throws(() => call(2, 1, 4, 2, 2, 4, Int32Array.from([4])), /kvLen.*2/);
    assert.throws(() => native.attentionBackward(p, p, p, p, 0, p, p, p, p, 1, 1, 1, 1, 1, 4, 1, 0, 0, 0), /lse/);
  } finally {
    native.free(p);
  }
});
