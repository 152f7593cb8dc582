// In-place updates the optimizer layer needs, as tensor ops so that nothing
// above src/tensor calls a kernel directly: the fused AdamW step, and the
// squared norm and rescaling that gradient clipping is made of.
import { shapeString } from "../dtype.js";
import { sameBackend, type Tensor } from "../tensor.js";

/** The hyperparameters of one adamwStep() call, as torch.optim.AdamW names them. */
export interface AdamWStep {
  /** Learning rate. */
  lr: number;
  /** Decay rate of the first moment (the gradient's running mean). */
  beta1: number;
  /** Decay rate of the second moment (the squared gradient's running mean). */
  beta2: number;
  /** Added to the second moment's square root so the step never divides by zero. */
  eps: number;
  /** Decoupled weight decay: the parameter is first multiplied by 1 - lr * weightDecay. */
  weightDecay: number;
  /** 1 - beta1^t at this step t. */
  biasCorrection1: number;
  /** 1 - beta2^t at this step t. */
  biasCorrection2: number;
  /** The gradient is read times this factor (gradient clipping's), default 1. */
  gradScale?: number;
}

function checkSameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== "f32" || b.dtype !== "f32" || a.size !== b.size) {
    throw new Error(`${op}: ${a.dtype} ${shapeString(a.shape)} and ${b.dtype} ${shapeString(b.shape)} (f32 of one size expected)`);
  }
}

/** One AdamW update of `param` in place from `grad`, advancing the moments `m` and `v` (as torch.optim.AdamW). */
export function adamwStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, s: AdamWStep): void {
  for (const t of [grad, m, v]) checkSameShape("adamwStep", param, t);
  sameBackend("adamwStep", param, grad, m, v);
  param.backend.adamw(param.addr, grad.addr, m.addr, v.addr, param.size, s.lr, s.beta1, s.beta2, s.eps, s.weightDecay, s.biasCorrection1, s.biasCorrection2, s.gradScale ?? 1);
}

/** The sum of the squares of an f32 tensor's elements, in double precision. */
export function sumOfSquares(x: Tensor): number {
  if (x.dtype !== "f32") throw new Error(`sumOfSquares: ${x.dtype} tensor (f32 expected)`);
  return x.backend.sum(x.addr, x.size, 1);
}

/** x *= factor, in place. */
export function scaleInPlace(x: Tensor, factor: number): void {
  if (x.dtype !== "f32") throw new Error(`scaleInPlace: ${x.dtype} tensor (f32 expected)`);
  x.backend.axpby(x.addr, x.addr, x.size, 0, factor);
}
