// A frozen copy of a model: the reference policy that A*-PO samples from in
// stage 1 and that KL penalties compare against, taken once from the model
// being trained. With bf16 weights it needs half the memory and decodes
// faster (sampling streams every weight once per token).
import { castInto } from "../tensor/index.js";
import { DecoderModel } from "./decoder.js";
import { uninitialisedParameters, type WeightDtype } from "./layers.js";

/** A new model with `model`'s weights (rounded to nearest even when `weights` is "bf16"), frozen. */
export function frozenCopy(model: DecoderModel, weights: WeightDtype = "f32"): DecoderModel {
  return copyOf(model, weights).freeze();
}

/** A new f32 model with `model`'s weights that trains on its own (PPO's critic starts as a copy of the policy). */
export function trainableCopy(model: DecoderModel): DecoderModel {
  return copyOf(model, "f32");
}

function copyOf(model: DecoderModel, weights: WeightDtype): DecoderModel {
  const copy = new DecoderModel(model.config, uninitialisedParameters(weights));
  try {
    const source = model.namedParameters();
    for (const [name, target] of copy.namedParameters()) castInto(source.get(name)!, target);
  } catch (error) {
    copy.dispose();
    throw error;
  }
  return copy;
}
