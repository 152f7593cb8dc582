// LoRA on a decoder: attaching adapters to its projections (the base weights
// frozen, f32 or bf16), and folding them back into the weights. The adapted
// model is the same DecoderModel: its forward pass adds each adapter's update,
// model.withoutAdapters() is the base on the same weights, and only the
// adapters are trainable parameters.
import { LoraAdapter, loraConfig, type LoraConfig, type LoraTargetModule } from "../nn/index.js";
import { add, cast, castInto, noGrad, Rng, scope, type Tensor } from "../tensor/index.js";
import type { DecoderModel } from "./decoder.js";
import type { Projection } from "./layers.js";

/** A projection's kind: the last part of its name (q_proj ... down_proj). */
function kindOf(projection: Projection): string {
  return projection.name.slice(projection.name.lastIndexOf(".") + 1);
}

/** The projections `config` puts adapters on, with each one's number within the model. */
export function loraTargets(model: DecoderModel, config: Pick<LoraConfig, "targetModules">): Array<{ projection: Projection; index: number }> {
  const kinds = new Set<string>(config.targetModules satisfies LoraTargetModule[]);
  return model.projections().map((projection, index) => ({ projection, index })).filter(({ projection }) => kinds.has(kindOf(projection)));
}

/**
 * Freezes every weight of `model` and attaches a fresh adapter (A drawn from
 * `seed`, B zero, so the model computes what it did) to each target
 * projection; from then on only the adapters train. Options are validated
 * here (defaults: r 16, alpha 32, dropout 0.05, all seven projections); the
 * seed also draws each training pass's dropout masks. Returns the model.
 */
export function addLora(model: DecoderModel, options: Partial<LoraConfig> = {}, seed = 0): DecoderModel {
  const config = loraConfig(options);
  if (!Number.isSafeInteger(seed)) throw new Error(`addLora: seed must be an integer, got ${seed}`);
  if (model.adapters) throw new Error("addLora: the model already carries adapters (merge them first, or start from the base model)");
  model.freeze();
  const rng = new Rng(seed);
  for (const { projection, index } of loraTargets(model, config)) {
    const [outFeatures, inFeatures] = projection.weight.shape;
    projection.adapter = new LoraAdapter({ inFeatures, outFeatures, name: projection.name, index, backend: projection.weight.backend }, config, rng);
  }
  model.adapters = { config, dropoutRng: rng.fork() };
  return model;
}

/**
 * Restarts the generator of the adapters' dropout masks from `seed`, so that
 * a trainer can draw each step's masks from its run's seed and the step (and
 * a resumed run draws the same masks) instead of carrying generator state.
 */
export function seedLoraDropout(model: DecoderModel, seed: number): void {
  if (!model.adapters) throw new Error("seedLoraDropout: the model carries no adapters");
  model.adapters.dropoutRng = new Rng(seed);
}

/** The projections whose weight the model's passes update with an adapter, by that weight (none when it applies no adapters). */
export function adaptedProjections(model: DecoderModel): Map<Tensor, Projection> {
  return new Map(model.usesAdapters ? model.projections().filter((p) => p.adapter).map((p) => [p.weight, p]) : []);
}

/** The projection's weight with its adapter's update folded in, as a new f32 tensor [out, in]. */
export function mergedWeight(projection: Projection): Tensor {
  return noGrad(() => scope(() => {
    const weight = cast(projection.weight, "f32");
    return projection.adapter ? add(weight, projection.adapter.delta()) : weight;
  }));
}

/**
 * Folds every adapter into its projection's weight (W + scaling B A, rounded
 * to nearest even for bf16 weights) and frees the adapters: the model then
 * computes what the adapted model did, as a plain model. Its weights stay frozen.
 */
export function mergeLora(model: DecoderModel): DecoderModel {
  if (!model.usesAdapters) throw new Error("mergeLora: the model applies no adapters (none attached, or a withoutAdapters() view)");
  for (const projection of model.projections()) {
    const adapter = projection.adapter;
    if (!adapter) continue;
    scope(() => castInto(mergedWeight(projection), projection.weight));
    projection.adapter = null;
    adapter.dispose();
  }
  model.adapters = null;
  return model;
}
