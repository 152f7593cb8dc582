// Float64 reference implementations of the core's ops, written as plainly as
// possible, and a finite-difference gradient checker over them.
export type F64 = Float64Array;

export function matmulRef(a: F64, b: F64, M: number, N: number, K: number, transA: boolean, transB: boolean): F64 {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (transA ? a[k * M + i] : a[i * K + k]) * (transB ? b[j * K + k] : b[k * N + j]);
      out[i * N + j] = s;
    }
  return out;
}

export function rmsNormRef(x: F64, w: F64, rows: number, cols: number, eps: number): F64 {
  const out = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let c = 0; c < cols; c++) ss += x[r * cols + c] ** 2;
    const inv = 1 / Math.sqrt(ss / cols + eps);
    for (let c = 0; c < cols; c++) out[r * cols + c] = x[r * cols + c] * inv * w[c];
  }
  return out;
}

export function ropeRef(x: F64, positions: Int32Array, invFreq: Float32Array, rows: number, heads: number, dim: number): F64 {
  const out = new Float64Array(x.length), half = dim / 2;
  for (let r = 0; r < rows; r++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < half; i++) {
        const angle = positions[r] * invFreq[i], c = Math.cos(angle), s = Math.sin(angle);
        const base = (r * heads + h) * dim, x1 = x[base + i], x2 = x[base + i + half];
        out[base + i] = x1 * c - x2 * s;
        out[base + i + half] = x2 * c + x1 * s;
      }
  return out;
}

export interface AttnGeometry { B: number; T: number; S: number; H: number; Hkv: number; D: number; qPos?: number[]; keyStart?: number[]; kvLen?: number[] }

export function attentionRef(q: F64, k: F64, v: F64, g: AttnGeometry): F64 {
  const { B, T, S, H, Hkv, D } = g;
  const out = new Float64Array(B * T * H * D), scale = 1 / Math.sqrt(D);
  for (let b = 0; b < B; b++) {
    const len = g.kvLen?.[b] ?? S, start = g.keyStart?.[b] ?? 0, pos = g.qPos?.[b] ?? len - T;
    for (let h = 0; h < H; h++) {
      const kh = Math.floor(h / (H / Hkv));
      for (let i = 0; i < T; i++) {
        const scores: number[] = [], keys: number[] = [];
        for (let j = start; j < Math.min(len, pos + i + 1); j++) {
          let s = 0;
          for (let d = 0; d < D; d++) s += q[((b * T + i) * H + h) * D + d] * k[((b * S + j) * Hkv + kh) * D + d];
          scores.push(s * scale);
          keys.push(j);
        }
        if (scores.length === 0) continue;
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m)), z = e.reduce((p, c) => p + c, 0);
        for (let d = 0; d < D; d++) {
          let acc = 0;
          keys.forEach((j, n) => (acc += (e[n] / z) * v[((b * S + j) * Hkv + kh) * D + d]));
          out[((b * T + i) * H + h) * D + d] = acc;
        }
      }
    }
  }
  return out;
}

export function tokenLogProbsRef(logits: F64, targets: Int32Array, rows: number, vocab: number, temperature: number): { logp: F64; entropy: F64 } {
  const logp = new Float64Array(rows), entropy = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const z = Array.from(logits.subarray(r * vocab, (r + 1) * vocab), (x) => x / temperature);
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, x) => s + Math.exp(x - m), 0));
    logp[r] = targets[r] < 0 ? 0 : z[targets[r]] - lse;
    entropy[r] = -z.reduce((s, x) => s + Math.exp(x - lse) * (x - lse), 0);
  }
  return { logp, entropy };
}

export function swigluRef(g: F64, u: F64): F64 {
  return g.map((x, i) => (x / (1 + Math.exp(-x))) * u[i]);
}

/** Central-difference gradient of sum(weights * f(x)) with respect to x, in float64. */
export function numericGrad(f: (x: F64) => F64, x: F64, weights: F64, h = 1e-6): F64 {
  const grad = new Float64Array(x.length);
  const probe = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    probe[i] = x[i] + h;
    const up = dot(f(probe), weights);
    probe[i] = x[i] - h;
    const down = dot(f(probe), weights);
    probe[i] = x[i];
    grad[i] = (up - down) / (2 * h);
  }
  return grad;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Deterministic pseudo-random float64 values in [-1, 1) (test inputs). */
export function randomValues(n: number, seed: number, scale = 1): F64 {
  let s = seed >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/**
 * |a - b| <= atol + rtol |b| at every element, with a message naming the worst
 * one. NaN and infinities pass only where the expected value is the same NaN or
 * infinity: a NaN must never hide behind a comparison that is false for it.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} vs ${expected.length}`);
  // A tolerance computed from data that held a NaN would make every comparison false, and so pass.
  if (!(rtol >= 0 && atol >= 0 && Number.isFinite(rtol + atol))) throw new Error(`${what}: tolerances must be finite and >= 0 (rtol ${rtol}, atol ${atol})`);
  let worst = 0, at = -1;
  for (let i = 0; i < actual.length; i++) {
    const ratio = mismatch(actual[i], expected[i], rtol, atol);
    if (ratio > worst) { worst = ratio; at = i; }
  }
  if (worst > 1) throw new Error(`${what}: element ${at} is ${actual[at]}, expected ${expected[at]} (rtol ${rtol}, atol ${atol})`);
}

/** |a - b| / (atol + rtol |b|): 0 when equal (NaN matching NaN included), Infinity when either is not finite otherwise. */
function mismatch(a: number, b: number, rtol: number, atol: number): number {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
  return Math.abs(a - b) / (atol + rtol * Math.abs(b));
}
