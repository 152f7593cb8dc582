// Built-in models: a preset shape (builtin-configs.ts) with fresh random
// weights from a seed, and the character tokenizer of the built-in tasks.
import { cpu, type Backend } from "../tensor/index.js";
import { createCharTokenizer, type Tokenizer } from "../tokenize/index.js";
import { builtinDecoderConfig, BUILTIN_MODEL_NAMES, DecoderModel, randomParameters, type BuiltinModelName, type DecoderConfig } from "../models/index.js";

function isBuiltinName(name: string): name is BuiltinModelName {
  return (BUILTIN_MODEL_NAMES as readonly string[]).includes(name);
}

/** The preset `preset` (tiny, small) initialised from `seed` on `backend`'s device: the same seed gives the same weights. */
export function createBuiltinModel(preset: string, seed: number, backend: Backend = cpu): {
  /** The fresh model (f32, trainable). */
  model: DecoderModel;
  /** The character tokenizer of the built-in tasks. */
  tokenizer: Tokenizer;
  /** The preset's configuration, sized for the tokenizer's vocabulary. */
  config: DecoderConfig;
} {
  if (!isBuiltinName(preset)) throw new Error(`unknown built-in model "${preset}" (have ${BUILTIN_MODEL_NAMES.join(", ")})`);
  if (!Number.isInteger(seed)) throw new Error(`createBuiltinModel: seed must be an integer, got ${seed}`);
  const tokenizer = createCharTokenizer();
  const config = builtinDecoderConfig(preset, tokenizer);
  const model = new DecoderModel(config, randomParameters(seed, config.initializerRange, backend));
  return { model, tokenizer, config };
}
