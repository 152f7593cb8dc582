// Matrix products on the gemm kernel. Transposes are flags, never copies:
// backward of y = x W^T is dx = g W and dW = g^T x, both straight gemm calls.
import { needsGrad, noGrad, record } from "../autograd.js";
import { shapeString } from "../dtype.js";
import { empty, sameBackend, type Tensor } from "../tensor.js";
import { ElementType } from "../kernels.js";
import { dropout } from "./elementwise.js";

/** Options of matmul(): which operands enter transposed (a flag to the kernel, no copy). */
export interface MatmulOptions {
  /** Use a's last two dimensions transposed. */
  transA?: boolean;
  /** Use b's last two dimensions transposed. */
  transB?: boolean;
}

interface Plan { batch: number; M: number; N: number; K: number; strideA: number; strideB: number; outShape: number[] }

function plan(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Plan {
  if (a.dtype !== "f32" || b.dtype !== "f32") throw new Error(`matmul: operands must be f32, got ${a.dtype} and ${b.dtype} (bf16 weights go through linear)`);
  sameBackend("matmul", a, b);
  if (a.rank < 2 || b.rank < 2) throw new Error(`matmul: operands need rank >= 2, got ${shapeString(a.shape)} and ${shapeString(b.shape)}`);
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const M = transA ? ac : ar, K = transA ? ar : ac;
  const KB = transB ? bc : br, N = transB ? br : bc;
  if (K !== KB) throw new Error(`matmul: inner sizes differ: ${shapeString(a.shape)}${transA ? "^T" : ""} @ ${shapeString(b.shape)}${transB ? "^T" : ""}`);
  const batchA = a.size / (ar * ac), batchB = b.size / (br * bc);
  if (batchB !== 1 && batchB !== batchA) throw new Error(`matmul: batch sizes differ: ${shapeString(a.shape)} @ ${shapeString(b.shape)}`);
  return { batch: batchA, M, N, K, strideA: ar * ac, strideB: batchB === 1 ? 0 : br * bc, outShape: [...a.shape.slice(0, -2), M, N] };
}

function gemmInto(out: Tensor, a: Tensor, b: Tensor, transA: boolean, transB: boolean, p: Plan, beta = 0, bias: Tensor | null = null): void {
  const lda = a.shape[a.rank - 1], ldb = b.shape[b.rank - 1];
  a.backend.gemm(p.M, p.N, p.K, a.addr, lda, transA ? 1 : 0, b.addr, ldb, transB ? 1 : 0, out.addr, p.N, 1, beta,
    bias ? bias.addr : 0, p.batch, p.strideA, p.strideB, p.M * p.N, ElementType.F32);
}

/** op(a) @ op(b), batched over leading dimensions (b may be a single matrix shared by the batch). */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transA = options.transA ?? false, transB = options.transB ?? false;
  const p = plan(a, b, transA, transB);
  const out = empty(p.outShape, "f32", a.backend);
  gemmInto(out, a, b, transA, transB, p);
  if (needsGrad(a, b)) {
    record("matmul", [out], [a, b], [a, b], ([g], [sa, sb]) => {
      const grad = g!;
      let ga: Tensor | null = null, gb: Tensor | null = null;
      if (a.requiresGrad) {
        // dA = g op(B)^T, laid out as A is (transposed back when A was)
        ga = empty(a.shape, "f32", a.backend);
        const rowsA = a.shape[a.rank - 2], colsA = a.shape[a.rank - 1];
        const ldb = sb.shape[sb.rank - 1];
        if (!transA) grad.backend.gemm(p.M, p.K, p.N, grad.addr, p.N, 0, sb.addr, ldb, transB ? 0 : 1, ga.addr, colsA, 1, 0, 0, p.batch, p.M * p.N, p.strideB, rowsA * colsA, ElementType.F32);
        else grad.backend.gemm(p.K, p.M, p.N, sb.addr, ldb, transB ? 1 : 0, grad.addr, p.N, 1, ga.addr, colsA, 1, 0, 0, p.batch, p.strideB, p.M * p.N, rowsA * colsA, ElementType.F32);
      }
      if (b.requiresGrad) {
        gb = empty(b.shape, "f32", b.backend);
        const rowsB = b.shape[b.rank - 2], colsB = b.shape[b.rank - 1];
        const lda = sa.shape[sa.rank - 1];
        const shared = p.strideB === 0 && p.batch > 1;
        // dB = op(A)^T g (or its transpose); a shared B sums over the batch by folding it into K when A is not transposed
        if (shared && !transA) {
          const rows = p.batch * p.M;
          if (!transB) grad.backend.gemm(p.K, p.N, rows, sa.addr, lda, 1, grad.addr, p.N, 0, gb.addr, colsB, 1, 0, 0, 1, 0, 0, 0, ElementType.F32);
          else grad.backend.gemm(p.N, p.K, rows, grad.addr, p.N, 1, sa.addr, lda, 0, gb.addr, colsB, 1, 0, 0, 1, 0, 0, 0, ElementType.F32);
        } else {
          const steps = shared ? p.batch : 1;
          const batch = shared ? 1 : p.batch;
          for (let s = 0; s < steps; s++) {
            const beta = s === 0 ? 0 : 1;
            const aOff = sa.addr + s * p.strideA * 4, gOff = grad.addr + s * p.M * p.N * 4;
            if (!transB) grad.backend.gemm(p.K, p.N, p.M, aOff, lda, transA ? 0 : 1, gOff, p.N, 0, gb.addr, colsB, 1, beta, 0, batch, p.strideA, p.M * p.N, rowsB * colsB, ElementType.F32);
            else grad.backend.gemm(p.N, p.K, p.M, gOff, p.N, 1, aOff, lda, transA ? 1 : 0, gb.addr, colsB, 1, beta, 0, batch, p.M * p.N, p.strideA, rowsB * colsB, ElementType.F32);
          }
        }
      }
      return [ga, gb];
    });
  }
  return out;
}

/** Options of linear(). */
export interface LinearOptions {
  /**
   * Drop out x's elements first, as dropout(x, p, seed) would, without keeping
   * the dropped copy for backward (which draws it again from the seed): the
   * saved input is x itself, shared with whatever else reads x.
   */
  inputDropout?: {
    /** Probability of zeroing each element, in [0, 1); 0 turns dropout off. */
    p: number;
    /** The mask's seed, an integer in [0, 2^53). */
    seed: number;
  } | null;
}

/**
 * x @ W^T + bias, with W stored [out, in] as Hugging Face Linear layers store it.
 * W may be bf16 (frozen): read at half the bytes, summed in fp32; gradients
 * flow through it to x (and the bias), never into it.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: LinearOptions = {}): Tensor {
  const inF = x.shape[x.rank - 1];
  const label = weight.name ? `'${weight.name}' ` : "";
  sameBackend("linear", x, weight, bias);
  if (weight.rank !== 2 || weight.shape[1] !== inF) {
    throw new Error(`linear: weight ${label}${shapeString(weight.shape)} does not take inputs ${shapeString(x.shape)}`);
  }
  if (x.dtype !== "f32" || weight.dtype === "i32") throw new Error(`linear: inputs must be f32 and the weight ${label}f32 or bf16, got ${x.dtype} and ${weight.dtype}`);
  const bType = weight.dtype === "bf16" ? ElementType.Bf16 : ElementType.F32;
  if (bType === 1 && needsGrad(weight)) {
    throw new Error(`linear: the bf16 weight ${label}is frozen and takes no gradient; train f32 weights (or adapters beside it)`);
  }
  const outF = weight.shape[0];
  if (bias && bias.size !== outF) throw new Error(`linear: bias ${shapeString(bias.shape)} for ${outF} outputs`);
  const rows = x.size / inF;
  const drop = options.inputDropout?.p ? options.inputDropout : null;
  const dropped = (t: Tensor) => (drop ? noGrad(() => dropout(t, drop.p, drop.seed)) : t);
  const input = dropped(x);
  const out = empty([...x.shape.slice(0, -1), outF], "f32", x.backend);
  x.backend.gemm(rows, outF, inF, input.addr, inF, 0, weight.addr, inF, 1, out.addr, outF, 1, 0, bias ? bias.addr : 0, 1, 0, 0, 0, bType);
  if (input !== x) input.dispose();
  if (needsGrad(x, weight, bias)) {
    // x is kept only for the weight's own gradient: a frozen weight's input may be freed
    record("linear", [out], [x, weight, bias], weight.requiresGrad ? [weight, x] : [weight], ([g], [sw, sx]) => {
      const grad = g!;
      let gx: Tensor | null = null, gw: Tensor | null = null, gbias: Tensor | null = null;
      if (x.requiresGrad) {
        const gInput = empty(x.shape, "f32", x.backend);
        grad.backend.gemm(rows, inF, outF, grad.addr, outF, 0, sw.addr, inF, 0, gInput.addr, inF, 1, 0, 0, 1, 0, 0, 0, bType);
        gx = dropped(gInput); // dropout's backward is the same mask on the gradient
        if (gx !== gInput) gInput.dispose();
      }
      if (weight.requiresGrad) {
        gw = empty(weight.shape, "f32", weight.backend);
        const input = dropped(sx);
        grad.backend.gemm(outF, inF, rows, grad.addr, outF, 1, input.addr, inF, 0, gw.addr, inF, 1, 0, 0, 1, 0, 0, 0, ElementType.F32);
        if (input !== sx) input.dispose();
      }
      if (bias?.requiresGrad) {
        gbias = empty(bias.shape, "f32", bias.backend);
        grad.backend.reduceBroadcast(grad.addr, gbias.addr, grad.size, outF, 1, 0);
      }
      return [gx, gw, gbias];
    });
  }
  return out;
}
