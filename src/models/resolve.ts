// "Which model": one resolver for a model spec, shared by every command, the
// trainer and the server. A spec is `builtin:<preset>` (fresh weights from a
// seed, the character tokenizer) or a Hugging Face model folder.
import { existsSync, statSync } from "node:fs";
import type { Tokenizer } from "../tokenize/index.js";
import { createBuiltinModel } from "./builtin.js";
import type { DecoderConfig } from "./config.js";
import type { DecoderModel } from "./decoder.js";
import { frozenCopy } from "./frozen-copy.js";
import type { WeightDtype } from "./layers.js";
import { loadModel } from "./load.js";

export const BUILTIN_PREFIX = "builtin:";

export interface ResolveModelOptions {
  /** How weight matrices are held (default "f32", trainable); "bf16" gives a frozen model at half the memory. */
  weights?: WeightDtype;
  /** Seed of a built-in model's weights (default 0); ignored for folders. */
  seed?: number;
  /** Names the option the spec came from in errors (default "--model"). */
  flag?: string;
}

export interface ResolvedModel {
  model: DecoderModel;
  tokenizer: Tokenizer;
  config: DecoderConfig;
  /** The spec as given. */
  spec: string;
  /** The dtype the weights are stored in at their source: what a frozen reference copy should hold them in. */
  storedWeights: WeightDtype;
}

export function isBuiltinSpec(spec: string): boolean {
  return spec.startsWith(BUILTIN_PREFIX);
}

/** A model folder or `builtin:<preset>`, loaded with its tokenizer; errors name the flag and the spec. */
export async function resolveModel(spec: string, options: ResolveModelOptions = {}): Promise<ResolvedModel> {
  const weights = options.weights ?? "f32";
  const flag = options.flag ?? "--model";
  if (isBuiltinSpec(spec)) {
    const built = createBuiltinModel(spec.slice(BUILTIN_PREFIX.length), options.seed ?? 0);
    if (weights === "f32") return { ...built, spec, storedWeights: "f32" };
    const frozen = frozenCopy(built.model, weights);
    built.model.dispose();
    return { model: frozen, tokenizer: built.tokenizer, config: built.config, spec, storedWeights: "f32" };
  }
  if (!existsSync(spec)) throw new Error(`${flag} ${spec}: no such folder (expected a Hugging Face model folder, or builtin:tiny / builtin:small)`);
  if (!statSync(spec).isDirectory()) throw new Error(`${flag} ${spec}: not a folder (expected a Hugging Face model folder with config.json)`);
  const loaded = await loadModel(spec, { dtype: weights });
  const storedWeights: WeightDtype = loaded.config.torchDtype === "bfloat16" ? "bf16" : "f32";
  return { model: loaded.model, tokenizer: loaded.tokenizer, config: loaded.config, spec, storedWeights };
}
