// Saving a model as a Hugging Face folder that transformers and vLLM load:
// weights under their Hugging Face names (a tied lm_head is not stored, as
// transformers does), config.json, generation_config.json and the tokenizer.
// Every file is written in full before any visible file changes, so an error
// or a crash during the save leaves the folder's previous model intact.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Tokenizer } from "../tokenize/index.js";
import { syncFolder } from "../io/atomic-file.js";
import { adaptedProjections, mergedWeight, saveCheckpoint, toHfConfig, toHfGenerationConfig, type DecoderConfig, type DecoderModel, type TensorToWrite } from "../models/index.js";
import { readOptionalJsonObject, writeJsonAtomic } from "../io/json-file.js";
import { sourceFolderOf } from "./load.js";

/** Options of saveModel(). */
export interface SaveModelOptions {
  /** Stored weight type (default "f32"); bf16 halves the files and rounds to nearest even. */
  dtype?: "f32" | "bf16";
  /** Largest weight file before the checkpoint is sharded (default 5 GiB). */
  maxShardBytes?: number;
}

/** Tokenizer files of a Hugging Face folder, copied unchanged when the tokenizer was loaded from one. */
const TOKENIZER_FILES = [
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "added_tokens.json",
  "chat_template.jinja",
  "chat_template.json",
  "vocab.json",
  "merges.txt",
  "tokenizer.model",
];

/** The weights as the model computes with them: an adapted projection's weight with its update folded in, one at a time as it is written. */
function weightsOf(model: DecoderModel, dtype: "f32" | "bf16"): TensorToWrite[] {
  const adapted = adaptedProjections(model);
  return [...model.withoutAdapters().namedParameters()].map(([name, param]) => ({
    name,
    dtype: dtype === "bf16" ? "BF16" : "F32",
    shape: param.shape,
    values: () => {
      const projection = adapted.get(param);
      if (!projection) return param.toFloat32Array();
      const merged = mergedWeight(projection);
      try {
        return merged.toFloat32Array();
      } finally {
        merged.dispose();
      }
    },
  }));
}

/** Writes the small files (configs, tokenizer) into `staging`; returns their names. */
async function stageSmallFiles(staging: string, config: DecoderConfig, tokenizer: Tokenizer): Promise<string[]> {
  const source = sourceFolderOf(tokenizer);
  const originalGeneration = source === undefined ? null : readOptionalJsonObject(join(source, "generation_config.json"));
  await writeJsonAtomic(join(staging, "config.json"), toHfConfig(config));
  await writeJsonAtomic(join(staging, "generation_config.json"), { ...originalGeneration, ...toHfGenerationConfig(config) });
  if (source === undefined) {
    await tokenizer.save(staging);
  } else {
    for (const file of TOKENIZER_FILES) if (existsSync(join(source, file))) copyFileSync(join(source, file), join(staging, file));
  }
  return TOKENIZER_FILES.filter((file) => existsSync(join(staging, file))).concat("generation_config.json", "config.json");
}

/**
 * Saves `model` and `tokenizer` into `dir` (created if needed); a model with
 * adapters is saved with them folded in, as a plain model. The configs
 * and tokenizer are staged in a temporary folder beside `dir`, the weights
 * are written under temporary names and renamed into place, and config.json
 * is moved in last.
 */
export async function saveModel(dir: string, model: DecoderModel, tokenizer: Tokenizer, options: SaveModelOptions = {}): Promise<void> {
  const dtype = options.dtype ?? "f32";
  if (dtype !== "f32" && dtype !== "bf16") throw new Error(`saveModel: dtype "${String(dtype)}" is not supported (f32, bf16)`);
  if (tokenizer.vocabSize > model.config.vocabSize) {
    throw new Error(`saveModel: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary only ${model.config.vocabSize}`);
  }
  const target = resolve(dir);
  mkdirSync(dirname(target), { recursive: true });
  const staging = mkdtempSync(join(dirname(target), `.${basename(target)}.staging-`));
  try {
    const config: DecoderConfig = { ...model.config, torchDtype: dtype === "bf16" ? "bfloat16" : "float32" };
    const smallFiles = await stageSmallFiles(staging, config, tokenizer);
    await saveCheckpoint(target, weightsOf(model, dtype), { maxShardBytes: options.maxShardBytes });
    // A template file left from an earlier save would override the one in the new tokenizer_config.json.
    for (const stale of ["chat_template.jinja", "chat_template.json"]) if (!smallFiles.includes(stale)) rmSync(join(target, stale), { force: true });
    for (const file of smallFiles) renameSync(join(staging, file), join(target, file));
    syncFolder(target);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
