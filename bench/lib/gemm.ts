// Matrix-product shapes and their timing through native.gemm.
import { native } from "../../src/tensor/native.js";
import { timeCalls, wallClock, type Clock, type Timing } from "./timing.js";

export interface GemmShape {
  M: number;
  N: number;
  K: number;
  transA: 0 | 1;
  transB: 0 | 1;
  /** What the product is in a model, for the report's config column. */
  role: string;
}

export interface GemmTiming extends Timing {
  /** GFLOP/s at the median time. */
  gflops: number;
  /** Bytes of A, B and C touched once, per second at the median (GB/s). */
  gbps: number;
}

/**
 * Times C = op(A) @ op(B) on native buffers of small random values. With
 * `coldBytes`, calls cycle through enough copies of B to fill that many bytes,
 * so B comes from memory as a model's weights do, not from a warm cache.
 */
export function timeGemm(s: GemmShape, reps = 7, coldBytes = 0, clock: Clock = wallClock): GemmTiming {
  const sizeA = s.M * s.K, sizeB = s.K * s.N, sizeC = s.M * s.N;
  const copies = Math.max(1, Math.ceil(coldBytes / (4 * sizeB)));
  const fill = (n: number): number => {
    const p = native.alloc(n * 4) as number;
    native.copyIn(p, 0, Float32Array.from({ length: n }, () => Math.random() - 0.5));
    return p;
  };
  const a = fill(sizeA), c = fill(sizeC);
  const bs = [fill(sizeB)];
  for (let i = 1; i < copies; i++) {
    bs.push(native.alloc(sizeB * 4) as number);
    native.copy(bs[i], bs[0], sizeB * 4);
  }
  try {
    const lda = s.transA ? s.M : s.K, ldb = s.transB ? s.K : s.N;
    let next = 0;
    const t = timeCalls(() => {
      native.gemm(s.M, s.N, s.K, a, lda, s.transA, bs[next], ldb, s.transB, c, s.N, 1, 0, 0, 1, 0, 0, 0, 0);
      next = (next + 1) % copies;
    }, reps, 0.02, 2, clock);
    const bytes = 4 * (sizeA + sizeB + sizeC);
    return { ...t, gflops: (2 * s.M * s.N * s.K) / t.median / 1e9, gbps: bytes / t.median / 1e9 };
  } finally {
    for (const p of [a, c, ...bs]) native.free(p);
  }
}

export function describe(s: GemmShape): string {
  const ops = `${s.transA ? "A^T" : "A"}${s.transB ? "B^T" : "B"}`;
  return `${s.M}x${s.N}x${s.K} ${ops} ${s.role}`;
}

/**
 * The products of one ref-tiny training step (../shared/bench/configs/ref-tiny.json:
 * 8 x 128 = 1024 rows, d_model 256, ffn 768, vocab 512): forward x @ W^T,
 * backward dY @ W and dY^T @ X.
 */
export const refTinyShapes: GemmShape[] = [
  { M: 1024, N: 256, K: 256, transA: 0, transB: 1, role: "attn proj fwd" },
  { M: 1024, N: 768, K: 256, transA: 0, transB: 1, role: "ffn up fwd" },
  { M: 1024, N: 256, K: 768, transA: 0, transB: 1, role: "ffn down fwd" },
  { M: 1024, N: 512, K: 256, transA: 0, transB: 1, role: "lm head fwd" },
  { M: 1024, N: 256, K: 768, transA: 0, transB: 0, role: "ffn up dX" },
  { M: 1024, N: 768, K: 256, transA: 0, transB: 0, role: "ffn down dX" },
  { M: 768, N: 256, K: 1024, transA: 1, transB: 0, role: "ffn up dW" },
  { M: 256, N: 768, K: 1024, transA: 1, transB: 0, role: "ffn down dW" },
];

/**
 * The products of a training step on the 0.5B shape (../shared/bench/configs/qwen2.5-0.5b-shape.json)
 * at the peer's 2 x 128 = 256 token rows: hidden 896, MLP 4864, vocabulary 151936 (tied).
 * Forward x @ W^T, backward dX = dY @ W and dW = dY^T @ X; the vocabulary's are the largest.
 */
export const trainShapes05b: GemmShape[] = [
  { M: 256, N: 896, K: 896, transA: 0, transB: 1, role: "0.5B attn proj fwd" },
  { M: 256, N: 896, K: 896, transA: 0, transB: 0, role: "0.5B attn proj dX" },
  { M: 896, N: 896, K: 256, transA: 1, transB: 0, role: "0.5B attn proj dW" },
  { M: 256, N: 4864, K: 896, transA: 0, transB: 1, role: "0.5B mlp up fwd" },
  { M: 256, N: 896, K: 4864, transA: 0, transB: 1, role: "0.5B mlp down fwd" },
  { M: 256, N: 896, K: 4864, transA: 0, transB: 0, role: "0.5B mlp up dX" },
  { M: 256, N: 4864, K: 896, transA: 0, transB: 0, role: "0.5B mlp down dX" },
  { M: 4864, N: 896, K: 256, transA: 1, transB: 0, role: "0.5B mlp up dW" },
  { M: 896, N: 4864, K: 256, transA: 1, transB: 0, role: "0.5B mlp down dW" },
  { M: 256, N: 151936, K: 896, transA: 0, transB: 1, role: "0.5B vocab fwd" },
  { M: 256, N: 896, K: 151936, transA: 0, transB: 0, role: "0.5B vocab dX" },
  { M: 151936, N: 896, K: 256, transA: 1, transB: 0, role: "0.5B vocab dW" },
];

/** Decoding a 0.5B-shape model: a batch of rows through an MLP weight (memory-bound). */
export const decodeShapes: GemmShape[] = [1, 8, 64].map((M) => ({
  M, N: 4864, K: 896, transA: 0, transB: 1, role: `decode batch ${M}`,
}));
