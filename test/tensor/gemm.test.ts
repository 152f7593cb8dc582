import { test } from "node:test";
import assert from "node:assert/strict";
import { native } from "../../src/tensor/native.js";
import { eachIsa } from "./each-isa.js";
import { Rng } from "../../src/tensor/random.js";

// A seeded generator so a failure names a case that reproduces.
function random(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.uniform();
}

interface Case {
  M: number; N: number; K: number;
  transA: 0 | 1; transB: 0 | 1;
  lda: number; ldb: number; ldc: number;
  alpha: number; beta: number;
  bias: boolean;
  batch: number;
  strideA: number; strideB: number; strideC: number;
}

// Fills a case's operands, runs native.gemm and the float64 reference, and
// checks every element of C, including the padding that must stay untouched.
function check(c: Case, rand: () => number, label: string): void {
  const sizeA = (c.batch - 1) * c.strideA + (c.transA ? c.K : c.M) * c.lda;
  const sizeB = (c.batch - 1) * c.strideB + (c.transB ? c.N : c.K) * c.ldb;
  const sizeC = (c.batch - 1) * c.strideC + c.M * c.ldc;
  const a = Float32Array.from({ length: sizeA }, () => rand() * 2 - 1);
  const b = Float32Array.from({ length: sizeB }, () => rand() * 2 - 1);
  const bias = Float32Array.from({ length: c.N }, () => rand() * 2 - 1);
  const c0 = c.beta === 0 ? new Float32Array(sizeC).fill(NaN) : Float32Array.from({ length: sizeC }, () => rand() * 2 - 1);
  const owned = new Set<number>();
  const ptr = (arr: Float32Array): number => {
    const p = native.alloc(Math.max(4, arr.byteLength));
    native.copyIn(p, 0, arr);
    owned.add(p);
    return p;
  };
  const out = new Float32Array(sizeC);
  try {
    const pc = ptr(c0);
    native.gemm(c.M, c.N, c.K, ptr(a), c.lda, c.transA, ptr(b), c.ldb, c.transB, pc, c.ldc,
      c.alpha, c.beta, c.bias ? ptr(bias) : 0, c.batch, c.strideA, c.strideB, c.strideC, 0);
    native.copyOut(pc, 0, out);
  } finally {
    for (const p of owned) native.free(p);
  }
  const written = new Uint8Array(sizeC);
  for (let t = 0; t < c.batch; t++) {
    const oa = t * c.strideA, ob = t * c.strideB, oc = t * c.strideC;
    for (let i = 0; i < c.M; i++) {
      for (let j = 0; j < c.N; j++) {
        let sum = 0, magnitude = 0;
        for (let k = 0; k < c.K; k++) {
          const x = a[oa + (c.transA ? k * c.lda + i : i * c.lda + k)];
          const y = b[ob + (c.transB ? j * c.ldb + k : k * c.ldb + j)];
          sum += x * y;
          magnitude += Math.abs(x * y);
        }
        const at = oc + i * c.ldc + j;
        const prior = c.beta === 0 ? 0 : c.beta * c0[at];
        const extra = c.bias ? bias[j] : 0;
        const want = c.alpha * sum + prior + extra;
        const scale = Math.abs(c.alpha) * magnitude + Math.abs(prior) + Math.abs(extra) + 1e-3;
        const tol = 1e-5 * Math.sqrt(c.K + 1) * scale;
        if (!(Math.abs(out[at] - want) <= tol)) {
          assert.fail(`${label}: C[${t}][${i},${j}] = ${out[at]}, want ${want} (tol ${tol.toExponential(2)}) in ${JSON.stringify(c)}`);
        }
        written[at] = 1;
      }
    }
  }
  for (let at = 0; at < sizeC; at++) {
    if (!written[at]) assert.ok(Object.is(out[at], c0[at]), `${label}: padding C[${at}] was overwritten in ${JSON.stringify(c)}`);
  }
}

function makeCase(rand: () => number, M: number, N: number, K: number, over: Partial<Case> = {}): Case {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const transA = over.transA ?? pick([0, 1]), transB = over.transB ?? pick([0, 1]);
  const pad = () => pick([0, 0, 1, 3, 17]);
  const base: Case = {
    M, N, K, transA, transB,
    lda: Math.max(1, transA ? M : K) + pad(),
    ldb: Math.max(1, transB ? K : N) + pad(),
    ldc: N + pad(),
    alpha: pick([1, 1, -0.5, 2]), beta: pick([0, 0, 1, 0.3]), bias: rand() < 0.3,
    batch: 1, strideA: 0, strideB: 0, strideC: 0,
  };
  return { ...base, ...over };
}

// Sizes around the tile shapes of every path (14x32, 6x16, 4x16) and primes.
const edgeSizes = [1, 2, 3, 5, 6, 7, 11, 13, 14, 15, 16, 17, 23, 27, 28, 29, 31, 32, 33, 47, 48, 49, 63, 64, 65, 97, 127, 150];

test("gemm matches a float64 reference on odd shapes, every transpose and every ISA", () => {
  eachIsa((isa) => {
    const rand = random(17);
    for (let n = 0; n < 60; n++) {
      const pick = () => edgeSizes[Math.floor(rand() * edgeSizes.length)];
      check(makeCase(rand, pick(), pick(), pick()), rand, `${isa} case ${n}`);
    }
    for (const ta of [0, 1] as const) {
      for (const tb of [0, 1] as const) check(makeCase(rand, 37, 45, 29, { transA: ta, transB: tb, lda: ta ? 40 : 31, ldb: tb ? 29 : 45 }), rand, `${isa} trans ${ta}${tb}`);
    }
  });
});

test("gemm handles products large enough to block K, rows and threads", () => {
  eachIsa((isa) => {
    const rand = random(5);
    // Blocked K and rows, few rows with a B too big to pack, a ragged grid, and a thread's
    // columns spanning several panels of B (packed A then serves them all, across K blocks).
    for (const [M, N, K] of [[263, 161, 1100], [1, 300, 700], [40, 1030, 1020], [150, 67, 259], [70, 2200, 1030]]) {
      for (const [ta, tb] of [[0, 0], [1, 1]] as const) check(makeCase(rand, M, N, K, { transA: ta, transB: tb }), rand, `${isa} ${M}x${N}x${K}`);
    }
  });
});

test("gemm split into tasks that share one packing of A or of B", () => {
  eachIsa((isa) => {
    const rand = random(13);
    // Many rows and few columns: the tasks split the rows and share packed B; few rows
    // and many columns: they split the columns and share packed A. K spans several blocks.
    for (const [M, N, K] of [[1500, 37, 600], [37, 3000, 600], [301, 45, 1300]]) {
      for (const [ta, tb] of [[0, 1], [1, 0]] as const) check(makeCase(rand, M, N, K, { transA: ta, transB: tb, beta: 0.5, bias: true }), rand, `${isa} ${M}x${N}x${K}`);
    }
  });
});

test("gemm with beta = 0 ignores NaN in C, adds the bias and scales by alpha", () => {
  eachIsa((isa) => {
    const rand = random(9);
    for (const alpha of [1, -0.25]) {
      check(makeCase(rand, 13, 33, 17, { alpha, beta: 0, bias: true }), rand, `${isa} alpha ${alpha}`);
      check(makeCase(rand, 25, 70, 40, { alpha, beta: 0.5, bias: true }), rand, `${isa} beta 0.5`);
    }
  });
});

test("gemm with K = 0 leaves beta * C + bias", () => {
  const rand = random(3);
  check(makeCase(rand, 5, 9, 0, { beta: 0, bias: true }), rand, "K = 0, beta = 0");
  check(makeCase(rand, 5, 9, 0, { beta: 0.5, bias: false }), rand, "K = 0, beta = 0.5");
});

test("batched gemm with plain and broadcast strides", () => {
  eachIsa((isa) => {
    const rand = random(11);
    for (const [M, N, K, batch] of [[7, 9, 5, 3], [33, 40, 50, 4], [140, 130, 120, 2]]) {
      const c = makeCase(rand, M, N, K, { batch });
      const sizeA = (c.transA ? K : M) * c.lda, sizeB = (c.transB ? N : K) * c.ldb;
      const strideC = M * c.ldc + 3;
      check({ ...c, strideA: sizeA, strideB: sizeB, strideC }, rand, `${isa} batch ${batch}`);
      check({ ...c, strideA: 0, strideB: sizeB, strideC }, rand, `${isa} batch ${batch}, A broadcast`);
      check({ ...c, strideA: sizeA, strideB: 0, strideC }, rand, `${isa} batch ${batch}, B broadcast`);
    }
  });
});

test("gemm rejects bad arguments with a message naming them", () => {
  const p = native.alloc(64);
  try {
    // @ts-expect-error: one argument short, on purpose
    assert.throws(() => native.gemm(2, 2, 2, p, 2, 0, p, 2, 0, p, 2, 1, 0, 0, 1, 0, 0, 0), /gemm: expected 19 arguments \(M, N, K, .*bType\), got 18/);
    assert.throws(() => native.gemm(-1, 2, 2, p, 2, 0, p, 2, 0, p, 2, 1, 0, 0, 1, 0, 0, 0, 0), /gemm: argument M \(#1\) must be an integer >= 0, got -1/);
    assert.throws(() => native.gemm(2, 2, 3, p, 2, 0, p, 2, 0, p, 2, 1, 0, 0, 1, 0, 0, 0, 0), /argument lda/);
    assert.throws(() => native.gemm(2, 3, 2, p, 2, 0, p, 2, 0, p, 3, 1, 0, 0, 1, 0, 0, 0, 0), /argument ldb/);
    assert.throws(() => native.gemm(2, 3, 2, p, 2, 0, p, 3, 0, p, 2, 1, 0, 0, 1, 0, 0, 0, 0), /argument ldc/);
    assert.throws(() => native.gemm(2, 2, 2, p, 2, 0, p, 2, 0, p, 2, 1, 0, 0, 0, 0, 0, 0, 0), /argument batch/);
    assert.throws(() => native.gemm(2, 2, 2, p, 2, 0, p, 2, 0, p, 2, 1, 0, 0, 2, 0, 0, 1, 0), /strideC/);
    assert.throws(() => native.gemm(2, 2, 2, 0, 2, 0, p, 2, 0, p, 2, 1, 0, 0, 1, 0, 0, 0, 0), /gemm: argument a \(#4\) is a null address/);
  } finally {
    native.free(p);
  }
});

test("peakFlops measures a finite positive rate on every ISA and refuses a bad duration", () => {
  eachIsa((isa) => {
    const gflops = native.peakFlops(5) as number;
    assert.ok(Number.isFinite(gflops) && gflops > 0, `${isa}: ${gflops} GFLOP/s`);
  });
  for (const ms of [-1, 0, Number.NaN, 60_001]) assert.throws(() => native.peakFlops(ms), /peakFlops: ms must be in \(0, 60000\]/, String(ms));
});
