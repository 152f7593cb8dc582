// Views and row movement. Every tensor is contiguous, so reshape and a range
// of leading rows are free views; moving rows between tensors is a copy.
import { needsGrad, record } from "../autograd.js";
import { bytesPerElement, shapeString, sizeOf } from "../dtype.js";
import { empty, sameBackend, view, type Tensor } from "../tensor.js";

/** The same data with another shape (one dimension may be -1). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  const inferred = shape.length - known.length;
  if (inferred > 1) throw new Error(`reshape: at most one -1 in ${shapeString(shape)}`);
  const full = inferred === 1 ? shape.map((d) => (d === -1 ? x.size / sizeOf(known) : d)) : shape;
  if (sizeOf(full) !== x.size || full.some((d) => !Number.isInteger(d))) {
    throw new Error(`reshape: cannot view ${shapeString(x.shape)} as ${shapeString(shape)}`);
  }
  const out = view(x, full);
  if (needsGrad(x)) record("reshape", [out], [x], [], ([g]) => [reshapeGrad(g!, x.shape)]);
  return out;
}

function reshapeGrad(g: Tensor, shape: readonly number[]): Tensor {
  return view(g, shape);
}

/** Rows [start, start + count) of the first dimension, sharing memory. */
export function sliceRows(x: Tensor, start: number, count: number): Tensor {
  const rows = x.shape[0];
  if (start < 0 || count < 0 || start + count > rows) throw new Error(`sliceRows: rows ${start}..${start + count} of ${shapeString(x.shape)}`);
  const rowSize = x.size / rows;
  const out = view(x, [count, ...x.shape.slice(1)], start * rowSize);
  if (needsGrad(x)) {
    record("sliceRows", [out], [x], [], ([g]) => {
      const gx = empty(x.shape, "f32", x.backend);
      x.backend.zero(gx.addr, gx.bytes);
      x.backend.copy(gx.addr + start * rowSize * 4, g!.addr, g!.bytes);
      return [gx];
    });
  }
  return out;
}

/** Rows of the first dimension picked by index (no gradient: used to compact batches and caches). */
export function gatherRows(x: Tensor, indices: readonly number[]): Tensor {
  if (needsGrad(x)) throw new Error("gatherRows: no gradient; call it under noGrad()");
  const rows = x.shape[0];
  for (const i of indices) if (!Number.isInteger(i) || i < 0 || i >= rows) throw new Error(`gatherRows: row ${i} of ${shapeString(x.shape)}`);
  const out = empty([indices.length, ...x.shape.slice(1)], x.dtype, x.backend);
  const rowBytes = (x.size / rows) * bytesPerElement[x.dtype];
  x.backend.gatherRows(x.addr, Int32Array.from(indices), out.addr, indices.length, rowBytes);
  return out;
}

/**
 * For each b: dst[b, offsets[b] + t, ...] = src[b, t, ...] for t < src.shape[1]
 * (appends new keys/values to a cache). No gradient.
 */
export function writeRows(dst: Tensor, src: Tensor, offsets: Int32Array): void {
  if (dst.shape[0] !== src.shape[0] || dst.dtype !== src.dtype || offsets.length < src.shape[0]) {
    throw new Error(`writeRows: ${shapeString(src.shape)} into ${shapeString(dst.shape)} with ${offsets.length} offsets`);
  }
  const inner = dst.size / (dst.shape[0] * dst.shape[1]);
  if (src.size / (src.shape[0] * src.shape[1]) !== inner) throw new Error(`writeRows: row sizes differ: ${shapeString(src.shape)} vs ${shapeString(dst.shape)}`);
  sameBackend("writeRows", dst, src);
  dst.backend.writeRows(dst.addr, src.addr, src.shape[0], src.shape[1], dst.shape[1], inner * bytesPerElement[dst.dtype], offsets);
}

/** A contiguous copy (detached from the tape). */
export function clone(x: Tensor): Tensor {
  const out = empty(x.shape, x.dtype, x.backend);
  x.backend.copy(out.addr, x.addr, x.bytes);
  return out;
}
