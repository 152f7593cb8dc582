// A frozen copy of a model: the reference policy that A*-PO samples from in
// stage 1 and that KL penalties compare against, taken once from the model
// being trained, or a sampler's copy of the current policy. With bf16 weights
// it needs half the memory and decodes faster (sampling streams every weight
// once per token). A model with LoRA adapters is copied with them folded in.
import { castInto, scope } from "../tensor/index.js";
import { DecoderModel } from "./decoder.js";
import { uninitialisedParameters, type WeightDtype } from "./layers.js";
import { adaptedProjections, mergedWeight } from "./lora.js";

/** A new model computing what `model` does (rounded to nearest even when `weights` is "bf16"), frozen, without adapters. */
export function frozenCopy(model: DecoderModel, weights: WeightDtype = "f32"): DecoderModel {
  return copyOf(model, weights).freeze();
}

/** A new f32 model with `model`'s weights that trains on its own (PPO's critic starts as a copy of the policy). */
export function trainableCopy(model: DecoderModel): DecoderModel {
  return copyOf(model, "f32");
}

function copyOf(model: DecoderModel, weights: WeightDtype): DecoderModel {
  const copy = new DecoderModel(model.config, uninitialisedParameters(weights, model.backend));
  try {
    const adapted = adaptedProjections(model);
    const source = model.namedParameters();
    for (const [name, target] of copy.namedParameters()) {
      const from = source.get(name)!;
      const projection = adapted.get(from);
      if (projection) scope(() => castInto(mergedWeight(projection), target));
      else castInto(from, target);
    }
  } catch (error) {
    copy.dispose();
    throw error;
  }
  return copy;
}
