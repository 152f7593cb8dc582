// One position per row of a [B, T, ...] tensor, with a gradient: the last
// token's hidden state of each row (sampling), or any per-row position.
import { needsGrad, record } from "../autograd.js";
import { shapeString } from "../dtype.js";
import { empty, type Tensor } from "../tensor.js";

/** x [B, T, ...rest], positions[b] in [0, T) -> [B, ...rest] holding x[b, positions[b]]. */
export function selectPositions(x: Tensor, positions: Int32Array): Tensor {
  if (x.rank < 2) throw new Error(`selectPositions: expected [B, T, ...], got ${shapeString(x.shape)}`);
  const [B, T] = x.shape;
  if (positions.length !== B) throw new Error(`selectPositions: ${positions.length} positions for ${B} rows`);
  const indices = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const p = positions[b];
    if (!Number.isInteger(p) || p < 0 || p >= T) throw new Error(`selectPositions: position ${p} of row ${b} is outside [0, ${T})`);
    indices[b] = b * T + p;
  }
  const rest = x.shape.slice(2);
  const rowBytes = (x.size / (B * T)) * 4;
  const out = empty([B, ...rest], x.dtype, x.backend);
  x.backend.gatherRows(x.addr, indices, out.addr, B, rowBytes);
  if (needsGrad(x)) {
    const offsets = Int32Array.from(positions);
    record("selectPositions", [out], [x], [], ([g]) => {
      const gx = empty(x.shape, "f32", x.backend);
      x.backend.zero(gx.addr, gx.bytes);
      x.backend.writeRows(gx.addr, g!.addr, B, 1, T, rowBytes, offsets);
      return [gx];
    });
  }
  return out;
}
