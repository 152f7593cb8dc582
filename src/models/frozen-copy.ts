// A frozen copy of a model: the reference policy that A*-PO samples from in
// stage 1 and that KL penalties compare against, taken once from the model
// being trained. With bf16 weights it needs half the memory and decodes
// faster (sampling streams every weight once per token).
import type { Tensor } from "../tensor/index.js";
import { DecoderModel } from "./decoder.js";
import { uninitialisedParameters, type WeightDtype } from "./layers.js";

/** Writes `from`'s values into `to` (same shape), converting f32 <-> bf16 in place: no intermediate copy. */
function copyConverted(from: Tensor, to: Tensor): void {
  const backend = to.backend;
  if (from.dtype === to.dtype) backend.copy(to.addr, from.addr, to.bytes);
  else if (to.dtype === "bf16") backend.toBf16(from.addr, to.addr, to.size);
  else backend.fromBf16(from.addr, to.addr, to.size);
}

/** A new model with `model`'s weights (rounded to nearest even when `weights` is "bf16"), frozen. */
export function frozenCopy(model: DecoderModel, weights: WeightDtype = "f32"): DecoderModel {
  const copy = new DecoderModel(model.config, uninitialisedParameters(weights));
  try {
    const source = model.namedParameters();
    for (const [name, target] of copy.namedParameters()) copyConverted(source.get(name)!, target);
  } catch (error) {
    copy.dispose();
    throw error;
  }
  return copy.freeze();
}
