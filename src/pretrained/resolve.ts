// "Which model": one resolver for a model spec, shared by every command, the
// trainer and the server. A spec is a Hugging Face model folder, `builtin:<preset>`
// (tiny, small: fresh weights from a seed, the character tokenizer), or
// `builtin:<task>`, a small model the package ships already warmed up on a
// built-in task (the quickstart's reference policy).
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../io/index.js";
import type { Backend } from "../tensor/index.js";
import { createCharTokenizer, loadTokenizer, type Tokenizer } from "../tokenize/index.js";
import { createBuiltinModel } from "./builtin.js";
import { BUILTIN_MODEL_NAMES, frozenCopy, loadDecoderConfig, type DecoderConfig, type DecoderModel, type WeightDtype } from "../models/index.js";
import { loadModel } from "./load.js";

/** What a model spec starts with to name a built-in or shipped model instead of a folder. */
export const BUILTIN_PREFIX = "builtin:";

/**
 * Models shipped in the package's models/ folder, by name. Each folder's
 * README.md holds the exact `astarpo sft` command that made it.
 */
export const SHIPPED_MODELS = { arithmetic: "arithmetic" } as const;

/** The folder of a shipped model. */
export function shippedModelDir(name: keyof typeof SHIPPED_MODELS): string {
  return join(packageRoot(), "models", SHIPPED_MODELS[name]);
}

/** Options of resolveModel(). */
export interface ResolveModelOptions {
  /**
   * How weight matrices are held (default "f32", trainable); "bf16" gives a
   * frozen model at half the memory; "auto" holds them as the source stores
   * them (a frozen bf16 model for a bf16 checkpoint, else f32).
   */
  weights?: WeightDtype | "auto";
  /** Seed of a built-in model's weights (default 0); ignored for folders. */
  seed?: number;
  /** Names the option the spec came from in errors (default "--model"). */
  flag?: string;
  /** The device the parameters go on (default the CPU). */
  backend?: Backend;
}

/** What resolveModel() returns. */
export interface ResolvedModel {
  /** The model, on the requested device with the requested weight type. */
  model: DecoderModel;
  /** Its tokenizer: the folder's, or the character tokenizer for built-in models. */
  tokenizer: Tokenizer;
  /** The model's configuration. */
  config: DecoderConfig;
  /** The spec as given. */
  spec: string;
  /** The dtype the weights are stored in at their source: what a frozen reference copy should hold them in. */
  storedWeights: WeightDtype;
}

function checkFolder(spec: string, flag: string): void {
  if (!existsSync(spec)) throw new Error(`${flag} ${spec}: no such folder (expected a Hugging Face model folder, builtin:tiny / builtin:small, or builtin:arithmetic)`);
  if (!statSync(spec).isDirectory()) throw new Error(`${flag} ${spec}: not a folder (expected a Hugging Face model folder with config.json)`);
}

/** Whether a model spec names a built-in or shipped model (`builtin:<name>`) rather than a folder. */
export function isBuiltinSpec(spec: string): boolean {
  return spec.startsWith(BUILTIN_PREFIX);
}

/** Where a model spec's files come from: a folder (a shipped model's included), or a fresh built-in model; errors name the flag and the spec. */
function specSource(spec: string, flag: string): { folder: string } | { builtin: string } {
  const name = spec.slice(BUILTIN_PREFIX.length);
  const folder = !isBuiltinSpec(spec) ? spec : name in SHIPPED_MODELS ? shippedModelDir(name as keyof typeof SHIPPED_MODELS) : null;
  if (folder !== null) {
    checkFolder(folder, flag);
    return { folder };
  }
  if (!(BUILTIN_MODEL_NAMES as readonly string[]).includes(name)) {
    throw new Error(`${flag} ${spec}: unknown built-in model (fresh: ${BUILTIN_MODEL_NAMES.join(", ")}; warmed up: ${Object.keys(SHIPPED_MODELS).join(", ")})`);
  }
  return { builtin: name };
}

/** A model folder or `builtin:<preset>`, loaded with its tokenizer; errors name the flag and the spec. */
export async function resolveModel(spec: string, options: ResolveModelOptions = {}): Promise<ResolvedModel> {
  const weights = options.weights ?? "f32";
  const source = specSource(spec, options.flag ?? "--model");
  if ("builtin" in source) {
    const built = createBuiltinModel(source.builtin, options.seed ?? 0, options.backend);
    if (weights !== "bf16") return { ...built, spec, storedWeights: "f32" };
    const frozen = frozenCopy(built.model, weights);
    built.model.dispose();
    return { model: frozen, tokenizer: built.tokenizer, config: built.config, spec, storedWeights: "f32" };
  }
  const loaded = await loadModel(source.folder, { dtype: weights === "auto" ? storedWeightsOf(loadDecoderConfig(source.folder)) : weights, backend: options.backend });
  return { model: loaded.model, tokenizer: loaded.tokenizer, config: loaded.config, spec, storedWeights: storedWeightsOf(loaded.config) };
}

function storedWeightsOf(config: DecoderConfig): WeightDtype {
  return config.torchDtype === "bfloat16" ? "bf16" : "f32";
}

/** Only the tokenizer of a model spec, without loading any weights (to read and count prompts). */
export function resolveTokenizer(spec: string, flag = "--model"): Tokenizer {
  const source = specSource(spec, flag);
  return "builtin" in source ? createCharTokenizer() : loadTokenizer(source.folder);
}
