// `astarpo merge`: folds LoRA adapters (a PEFT folder) into their base model
// and writes a full Hugging Face folder that loads without PEFT.
import { resolve } from "node:path";
import { Option, type Command } from "commander";
import { loadAdapters, mergeLora, type WeightDtype } from "../models/index.js";
import { BUILTIN_PREFIX, resolveModel, saveModel } from "../pretrained/index.js";
import type { CliIO } from "./io.js";
import { numberOption } from "./options.js";

export interface MergeOptions {
  model: string;
  adapter: string;
  out: string;
  /** Stored weight type of the result; default: the base's own. */
  dtype?: WeightDtype;
  /** Seed of a built-in base model. */
  seed?: number;
}

export interface MergeSummary {
  out: string;
  dtype: WeightDtype;
  /** Projections that had adapters. */
  adapters: number;
}

/** Loads the base in f32, attaches and folds in the adapters, saves. */
export async function runMerge(options: MergeOptions): Promise<MergeSummary> {
  const { model, tokenizer, storedWeights } = await resolveModel(options.model, { seed: options.seed });
  try {
    loadAdapters(options.adapter, model);
    const adapters = model.projections().filter((p) => p.adapter).length;
    mergeLora(model);
    const dtype = options.dtype ?? storedWeights;
    await saveModel(resolve(options.out), model, tokenizer, { dtype });
    return { out: options.out, dtype, adapters };
  } finally {
    model.dispose();
  }
}

export function register(program: Command, io: CliIO): void {
  program
    .command("merge")
    .description("fold LoRA adapters (a PEFT folder: adapter_config.json, adapter_model.safetensors) into their base model and save a full Hugging Face folder")
    .requiredOption("--model <dir|builtin:NAME>", `the base model the adapters were trained on: a Hugging Face folder, or ${BUILTIN_PREFIX}<preset> with --seed`)
    .requiredOption("--adapter <dir>", "the adapters' folder")
    .requiredOption("--out <dir>", "where to write the merged model")
    .addOption(new Option("--dtype <type>", "stored weight type of the merged model (default: the base's)").choices(["f32", "bf16"]))
    .option("--seed <n>", "seed of a built-in base model", numberOption("--seed", Number.isSafeInteger, "an integer"), 0)
    .action(async (options: MergeOptions) => {
      const summary = await runMerge(options);
      io.stdout(`merged the adapters of ${summary.adapters} projections into ${options.model}; saved ${summary.dtype} weights to ${summary.out}\n`);
    });
}
