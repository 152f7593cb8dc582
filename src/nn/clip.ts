import { scaleInPlace, sumOfSquares } from "../tensor/index.js";
import type { Parameter } from "./module.js";

export interface ClipResult {
  /** global L2 norm of all gradients before clipping */
  norm: number;
  /** false when the norm was NaN or infinite: gradients were left untouched and the step should be skipped */
  finite: boolean;
}

/** Scales all gradients so that their global L2 norm is at most maxNorm (as torch.nn.utils.clip_grad_norm_). */
export function clipGradNorm(params: readonly Parameter[], maxNorm: number): ClipResult {
  let sq = 0;
  for (const p of params) if (p.grad) sq += sumOfSquares(p.grad);
  const norm = Math.sqrt(sq);
  if (!Number.isFinite(norm)) return { norm, finite: false };
  const factor = maxNorm / (norm + 1e-6);
  if (factor < 1) for (const p of params) if (p.grad) scaleInPlace(p.grad, factor);
  return { norm, finite: true };
}
