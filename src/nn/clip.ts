import { scaleInPlace, sumOfSquares } from "../tensor/index.js";
import type { Parameter } from "./module.js";

/** What gradNormScale() and clipGradNorm() found. */
export interface ClipResult {
  /** global L2 norm of all gradients before clipping */
  norm: number;
  /** false when the norm was NaN or infinite: gradients were left untouched and the step should be skipped */
  finite: boolean;
  /** the factor that brings the norm to at most maxNorm: maxNorm / (norm + 1e-6) when that is below 1, else 1 (and 1 when not finite) */
  scale: number;
}

/**
 * The global L2 norm of all gradients and the clipping factor for `maxNorm`, leaving the gradients
 * as they are: `AdamW.update(lr, result.scale)` applies the factor as it reads them, which spares
 * clipping a pass over every gradient.
 */
export function gradNormScale(params: readonly Parameter[], maxNorm: number): ClipResult {
  let sq = 0;
  for (const p of params) if (p.grad) sq += sumOfSquares(p.grad);
  const norm = Math.sqrt(sq);
  if (!Number.isFinite(norm)) return { norm, finite: false, scale: 1 };
  return { norm, finite: true, scale: Math.min(1, maxNorm / (norm + 1e-6)) };
}

/** Scales all gradients so that their global L2 norm is at most maxNorm (as torch.nn.utils.clip_grad_norm_). */
export function clipGradNorm(params: readonly Parameter[], maxNorm: number): ClipResult {
  const result = gradNormScale(params, maxNorm);
  if (result.scale < 1) for (const p of params) if (p.grad) scaleInPlace(p.grad, result.scale);
  return result;
}
