import { needsGrad, record } from "../autograd.js";
import { empty, type Tensor } from "../tensor.js";

function expand(g: Tensor, like: Tensor, perRow: number, scaleBy: number): Tensor {
  // every element of `like` gets its row's (or the only) gradient value
  const out = empty(like.shape, "f32", like.backend);
  like.backend.zero(out.addr, out.bytes);
  like.backend.binary(0, out.addr, g.addr, out.addr, out.size, g.size, perRow);
  if (scaleBy !== 1) like.backend.axpby(out.addr, out.addr, out.size, 0, scaleBy);
  return out;
}

/** Sum of all elements, as a one-element tensor of shape []. */
export function sum(x: Tensor): Tensor {
  const out = empty([], "f32", x.backend);
  out.write([x.backend.sum(x.addr, x.size, 0)]);
  if (needsGrad(x)) record("sum", [out], [x], [], ([g]) => [expand(g!, x, x.size, 1)]);
  return out;
}

/** Mean of all elements, shape []. */
export function mean(x: Tensor): Tensor {
  const out = empty([], "f32", x.backend);
  out.write([x.backend.sum(x.addr, x.size, 0) / x.size]);
  if (needsGrad(x)) record("mean", [out], [x], [], ([g]) => [expand(g!, x, x.size, 1 / x.size)]);
  return out;
}

/** Sum over the last dimension: [..., n] -> [...]. */
export function sumLastDim(x: Tensor): Tensor {
  const cols = x.shape[x.rank - 1];
  const rows = x.size / cols;
  const out = empty(x.shape.slice(0, -1), "f32", x.backend);
  x.backend.sumLastDim(x.addr, out.addr, rows, cols);
  if (needsGrad(x)) record("sumLastDim", [out], [x], [], ([g]) => [expand(g!, x, cols, 1)]);
  return out;
}

/** Mean over the last dimension: [..., n] -> [...]. */
export function meanLastDim(x: Tensor): Tensor {
  const cols = x.shape[x.rank - 1];
  const rows = x.size / cols;
  const out = empty(x.shape.slice(0, -1), "f32", x.backend);
  x.backend.sumLastDim(x.addr, out.addr, rows, cols);
  x.backend.axpby(out.addr, out.addr, out.size, 0, 1 / cols);
  if (needsGrad(x)) record("meanLastDim", [out], [x], [], ([g]) => [expand(g!, x, cols, 1 / cols)]);
  return out;
}
