// LoRA adapters in PEFT's layout, which PEFT, transformers and vLLM load: a
// folder with adapter_config.json and adapter_model.safetensors, the tensors
// named base_model.model.<projection>.lora_A.weight ([r, in]) and
// .lora_B.weight ([out, r]).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { LORA_TARGET_MODULES, type LoraConfig, type LoraTargetModule, type Parameter } from "../nn/index.js";
import { readJsonObject, syncFolder, writeJsonAtomic } from "../io/index.js";
import type { DecoderModel } from "./decoder.js";
import { addLora, loraTargets } from "./lora.js";
import { SafetensorsFile } from "./safetensors.js";
import { writeSafetensors, type TensorToWrite } from "./safetensors-writer.js";

/** The adapters' config file in a PEFT adapter folder. */
export const ADAPTER_CONFIG_FILE = "adapter_config.json";
/** The adapters' weights file in a PEFT adapter folder. */
export const ADAPTER_WEIGHTS_FILE = "adapter_model.safetensors";
/** PEFT's prefix for the wrapped model's parameter names. */
const PEFT_PREFIX = "base_model.model.";

/** Options of saveAdapters(). */
export interface SaveAdaptersOptions {
  /** Recorded as base_model_name_or_path: the model the adapters belong on. */
  baseModel?: string;
}

/** The adapter_config.json PEFT writes for `config` (every key its LoraConfig reads back, at PEFT's defaults where unused). */
export function toPeftConfig(config: LoraConfig, baseModel: string | null = null): Record<string, unknown> {
  return {
    peft_type: "LORA",
    task_type: "CAUSAL_LM",
    base_model_name_or_path: baseModel,
    r: config.r,
    lora_alpha: config.alpha,
    lora_dropout: config.dropout,
    target_modules: config.targetModules,
    use_rslora: config.rslora,
    bias: "none",
    fan_in_fan_out: false,
    init_lora_weights: true,
    inference_mode: true,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
    use_dora: false,
    revision: null,
  };
}

const unsupported = (what: string) => ({ error: `${what} is not supported` });
const emptyPattern = z.record(z.string(), z.unknown()).refine((o) => Object.keys(o).length === 0, "per-module ranks and alphas are not supported");

/** The keys read from adapter_config.json; others (PEFT bookkeeping) are ignored. */
const peftConfigSchema = z.looseObject({
  peft_type: z.literal("LORA", { error: 'only "LORA" adapters are supported' }),
  task_type: z.literal("CAUSAL_LM", { error: 'only "CAUSAL_LM" adapters are supported' }).nullish(),
  r: z.number().int().positive(),
  lora_alpha: z.number().positive().nullish(),
  lora_dropout: z.number().min(0).lt(1).nullish(),
  target_modules: z.union([z.array(z.string()), z.string()]),
  use_rslora: z.boolean().nullish(),
  bias: z.literal("none", unsupported("training biases")).nullish(),
  fan_in_fan_out: z.literal(false, unsupported("fan_in_fan_out")).nullish(),
  use_dora: z.literal(false, unsupported("DoRA")).nullish(),
  modules_to_save: z.array(z.string()).length(0, "extra trained modules are not supported").nullish(),
  layers_to_transform: z.null(unsupported("adapting only some layers")).optional(),
  rank_pattern: emptyPattern.nullish(),
  alpha_pattern: emptyPattern.nullish(),
});

function targetModulesOf(value: string | string[], where: string): LoraTargetModule[] {
  if (value === "all-linear") return [...LORA_TARGET_MODULES];
  if (typeof value === "string") throw new Error(`${where}: key "target_modules": a pattern ("${value}") is not supported; list module names (${LORA_TARGET_MODULES.join(", ")})`);
  for (const name of value) {
    if (!(LORA_TARGET_MODULES as readonly string[]).includes(name)) {
      throw new Error(`${where}: key "target_modules": "${name}" is not one of ${LORA_TARGET_MODULES.join(", ")}`);
    }
  }
  if (value.length === 0) throw new Error(`${where}: key "target_modules" is empty`);
  return value as LoraTargetModule[];
}

/** adapter_config.json of a PEFT LoRA folder as a LoraConfig (PEFT's defaults for keys it leaves out). */
export function readAdapterConfig(dir: string): LoraConfig {
  const where = join(dir, ADAPTER_CONFIG_FILE);
  const parsed = peftConfigSchema.safeParse(readJsonObject(where));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${where}: key "${issue.path.join(".")}": ${issue.message}`);
  }
  const raw = parsed.data;
  return {
    r: raw.r,
    alpha: raw.lora_alpha ?? 8,
    dropout: raw.lora_dropout ?? 0,
    targetModules: targetModulesOf(raw.target_modules, where),
    rslora: raw.use_rslora ?? false,
  };
}

/** Each adapter factor of the model by its PEFT name. */
function peftTensors(model: DecoderModel): Map<string, Parameter> {
  const out = new Map<string, Parameter>();
  for (const [name, param] of model.namedParameters()) if (/\.lora_[AB]\.weight$/.test(name)) out.set(PEFT_PREFIX + name, param);
  return out;
}

/**
 * Writes the model's adapters into `dir` (created if needed) in PEFT's layout,
 * weights in f32. The weights file is written first and the config last, each
 * atomically, so a folder with a config holds a complete adapter.
 */
export async function saveAdapters(dir: string, model: DecoderModel, options: SaveAdaptersOptions = {}): Promise<void> {
  if (!model.usesAdapters) throw new Error("saveAdapters: the model applies no adapters (none attached, or a withoutAdapters() view)");
  mkdirSync(dir, { recursive: true });
  const tensors: TensorToWrite[] = [...peftTensors(model)].map(([name, param]) => ({
    name,
    dtype: "F32",
    shape: param.shape,
    values: () => param.toFloat32Array(),
  }));
  await writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), tensors);
  await writeJsonAtomic(join(dir, ADAPTER_CONFIG_FILE), toPeftConfig(model.adapters!.config, options.baseModel ?? null));
  syncFolder(dir);
}

/**
 * Attaches the adapters saved in `dir` (PEFT's layout) to `model`, which must
 * carry none and match the shapes they were trained on; they stay trainable
 * (to resume), and `seed` draws their dropout masks. The files are checked
 * whole before the model changes. Returns the model.
 */
export function loadAdapters(dir: string, model: DecoderModel, seed = 0): DecoderModel {
  const config = readAdapterConfig(dir);
  if (model.adapters) throw new Error(`loadAdapters ${dir}: the model already carries adapters`);
  const path = join(dir, ADAPTER_WEIGHTS_FILE);
  const file = SafetensorsFile.open(path);
  try {
    const expected = new Map<string, readonly number[]>();
    for (const { projection } of loraTargets(model, config)) {
      const [outFeatures, inFeatures] = projection.weight.shape;
      expected.set(`${PEFT_PREFIX}${projection.name}.lora_A.weight`, [config.r, inFeatures]);
      expected.set(`${PEFT_PREFIX}${projection.name}.lora_B.weight`, [outFeatures, config.r]);
    }
    for (const [name, shape] of expected) {
      const stored = file.tensors.get(name);
      if (!stored) throw new Error(`${path}: no tensor "${name}", which target_modules ${JSON.stringify(config.targetModules)} calls for`);
      if (stored.shape.length !== shape.length || stored.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`${path}: tensor "${name}" has shape [${stored.shape.join(", ")}], the model and r = ${config.r} need [${shape.join(", ")}]`);
      }
    }
    for (const name of file.tensors.keys()) {
      if (!expected.has(name)) throw new Error(`${path}: tensor "${name}" is no adapter of this model with target_modules ${JSON.stringify(config.targetModules)}`);
    }
    addLora(model, config, seed);
    for (const [name, param] of peftTensors(model)) param.write(file.read(name));
  } finally {
    file.close();
  }
  return model;
}
