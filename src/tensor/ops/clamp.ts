// Clamping and elementwise minimum / maximum, composed from relu and abs so
// that their gradients come for free: clamp passes the gradient inside
// [lo, hi] and none outside (as torch.clamp), and minimum / maximum pass it to
// the smaller / larger operand (half to each on a tie, as torch.minimum).
import { abs, add, relu, scale, sub } from "./elementwise.js";
import type { Tensor } from "../tensor.js";

/** x limited to [lo, hi]: lo + relu(x - lo) - relu(x - hi). */
export function clamp(x: Tensor, lo: number, hi: number): Tensor {
  if (!(lo <= hi)) throw new Error(`clamp: lo ${lo} must not exceed hi ${hi}`);
  return scale(sub(relu(scale(x, 1, -lo)), relu(scale(x, 1, -hi))), 1, lo);
}

/** Elementwise min(a, b) of same-shaped tensors: (a + b - |a - b|) / 2. */
export function minimum(a: Tensor, b: Tensor): Tensor {
  return scale(sub(add(a, b), abs(sub(a, b))), 0.5);
}

/** Elementwise max(a, b) of same-shaped tensors: (a + b + |a - b|) / 2. */
export function maximum(a: Tensor, b: Tensor): Tensor {
  return scale(add(add(a, b), abs(sub(a, b))), 0.5);
}
