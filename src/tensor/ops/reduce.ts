// Sums and means over everything or over the last dimension.
import { needsGrad, record } from "../autograd.js";
import { shapeString } from "../dtype.js";
import { empty, sameBackend, type Tensor } from "../tensor.js";
import { BinaryOp } from "../kernels.js";

function expand(g: Tensor, like: Tensor, perRow: number, scaleBy: number): Tensor {
  // every element of `like` gets its row's (or the only) gradient value
  const out = empty(like.shape, "f32", like.backend);
  like.backend.zero(out.addr, out.bytes);
  like.backend.binary(BinaryOp.Add, out.addr, g.addr, out.addr, out.size, g.size, perRow);
  if (scaleBy !== 1) like.backend.axpby(out.addr, out.addr, out.size, 0, scaleBy);
  return out;
}

/** Sum of all elements times `factor`, shape []. */
function reduceAll(x: Tensor, factor: number, name: string): Tensor {
  const out = empty([], "f32", x.backend);
  out.write([x.backend.sum(x.addr, x.size, 0) * factor]);
  if (needsGrad(x)) record(name, [out], [x], [], ([g]) => [expand(g!, x, x.size, factor)]);
  return out;
}

/** Sum over the last dimension times `factor`: [..., n] -> [...]. */
function reduceLastDim(x: Tensor, factor: number, name: string): Tensor {
  const cols = x.shape[x.rank - 1];
  const rows = x.size / cols;
  const out = empty(x.shape.slice(0, -1), "f32", x.backend);
  x.backend.sumLastDim(x.addr, out.addr, rows, cols);
  if (factor !== 1) x.backend.axpby(out.addr, out.addr, out.size, 0, factor);
  if (needsGrad(x)) record(name, [out], [x], [], ([g]) => [expand(g!, x, cols, factor)]);
  return out;
}

/** Sum of all elements, as a one-element tensor of shape []. */
export function sum(x: Tensor): Tensor {
  return reduceAll(x, 1, "sum");
}

/** Mean of all elements, shape []. */
export function mean(x: Tensor): Tensor {
  return reduceAll(x, 1 / x.size, "mean");
}

/** Sum over the last dimension: [..., n] -> [...]. */
export function sumLastDim(x: Tensor): Tensor {
  return reduceLastDim(x, 1, "sumLastDim");
}

/** Mean over the last dimension: [..., n] -> [...]. */
export function meanLastDim(x: Tensor): Tensor {
  return reduceLastDim(x, 1 / x.shape[x.rank - 1], "meanLastDim");
}

/**
 * Per-row sum of x * mask over the last dimension: [..., n] -> [...]
 * (a sequence's log-probability from its tokens' log-probs and a 0/1 response
 * mask). The mask is a constant: only x receives a gradient.
 */
export function maskedSum(x: Tensor, mask: Tensor): Tensor {
  if (mask.dtype !== "f32" || mask.rank !== x.rank || mask.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(`maskedSum: mask ${mask.dtype} ${shapeString(mask.shape)} for values ${shapeString(x.shape)} (f32 of the same shape expected)`);
  }
  sameBackend("maskedSum", x, mask);
  const cols = x.shape[x.rank - 1];
  const rows = x.size / cols;
  const masked = empty(x.shape, "f32", x.backend);
  x.backend.binary(BinaryOp.Mul, x.addr, mask.addr, masked.addr, x.size, x.size, 1);
  const out = empty(x.shape.slice(0, -1), "f32", x.backend);
  x.backend.sumLastDim(masked.addr, out.addr, rows, cols);
  masked.dispose();
  if (needsGrad(x)) {
    record("maskedSum", [out], [x], [mask], ([g], [m]) => {
      const gx = empty(x.shape, "f32", x.backend);
      x.backend.binary(BinaryOp.Mul, m.addr, g!.addr, gx.addr, m.size, rows, cols);
      return [gx];
    });
  }
  return out;
}
