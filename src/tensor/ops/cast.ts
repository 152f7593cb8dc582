// Conversions between the compute type and bfloat16 storage. A bf16 tensor
// holds frozen weights at half the bytes (a reference model, a sampler's
// copy): linear() and embedding() read it directly and compute in fp32, and
// no gradient flows into it.
import { needsGrad } from "../autograd.js";
import { shapeString } from "../dtype.js";
import { empty, sameBackend, type Tensor } from "../tensor.js";

/** x as `dtype` ("f32" <-> "bf16"; to bf16 rounds to nearest even, as PyTorch does). A new tensor. */
export function cast(x: Tensor, dtype: "f32" | "bf16"): Tensor {
  if (dtype === "bf16" && needsGrad(x)) throw new Error("cast: bf16 tensors hold frozen values; no gradient flows through a cast to bf16");
  const out = empty(x.shape, dtype, x.backend);
  try {
    castInto(x, out);
  } catch (error) {
    out.dispose();
    throw error;
  }
  return out;
}

/** Writes x's values into `out` (same size), converting between f32 and bf16 as their types say. No gradient. */
export function castInto(x: Tensor, out: Tensor): void {
  if (x.dtype === "i32" || out.dtype === "i32") throw new Error(`cast: ${x.name ? `'${x.name}' ` : ""}${shapeString(x.shape)} to ${out.dtype}: i32 holds indices, not values`);
  if (x.size !== out.size) throw new Error(`cast: ${shapeString(x.shape)} into ${shapeString(out.shape)}`);
  sameBackend("cast", x, out);
  if (x.dtype === out.dtype) x.backend.copy(out.addr, x.addr, x.bytes);
  else if (out.dtype === "bf16") x.backend.toBf16(x.addr, out.addr, x.size);
  else x.backend.fromBf16(x.addr, out.addr, x.size);
}
