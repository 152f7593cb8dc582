// Loading a Hugging Face model folder: config.json, the tokenizer, and the
// safetensors weights streamed tensor by tensor into the model's parameters
// (converted on the way to the type the model holds them in), so memory peaks
// at the model plus its largest tensor, never at two copies of the model.
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Backend } from "../tensor/index.js";
import { loadTokenizer, type Tokenizer } from "../tokenize/index.js";
import { DecoderModel, loadDecoderConfig, openCheckpoint, uninitialisedParameters, type Checkpoint, type DecoderConfig, type WeightDtype } from "../models/index.js";

/** What loadModel() returns. */
export interface LoadedModel {
  /** The model, its weights read from the folder's safetensors. */
  model: DecoderModel;
  /** The folder's tokenizer. */
  tokenizer: Tokenizer;
  /** The folder's config.json, validated. */
  config: DecoderConfig;
  /** The folder it came from. */
  dir: string;
}

/** Options of loadModel(). */
export interface LoadModelOptions {
  /**
   * How weight matrices are held (default "f32": trainable, whatever the files store).
   * "bf16" holds them at half the memory and streams half the bytes per token,
   * still computing in f32, and freezes the model: for a reference model or a
   * sampler's copy. A bf16 checkpoint loads bit for bit; others are rounded.
   */
  dtype?: WeightDtype;
  /** The device the parameters go on (default the CPU); the weights stream straight to it. */
  backend?: Backend;
}

/** Tokenizers loaded by loadModel, and their folder: saving copies the original tokenizer files from it. */
const sourceFolders = new WeakMap<Tokenizer, string>();

/** The folder loadModel read `tokenizer` from, if it did. */
export function sourceFolderOf(tokenizer: Tokenizer): string | undefined {
  return sourceFolders.get(tokenizer);
}

/** Checkpoint tensors transformers itself skips when loading these architectures. */
function isIgnoredTensor(name: string, config: DecoderConfig): boolean {
  if (name === "lm_head.weight" && config.tieWordEmbeddings) return true;
  return /^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/.test(name);
}

function where(checkpoint: Checkpoint, name: string): string {
  const info = checkpoint.tensors.get(name);
  return info ? `${checkpoint.dir}/${info.file}: tensor "${name}"` : `${checkpoint.dir}: tensor "${name}"`;
}

/** Fills every parameter from the checkpoint, after checking that names and shapes match exactly. */
async function fillParameters(model: DecoderModel, checkpoint: Checkpoint): Promise<void> {
  const params = model.namedParameters();
  const missing = [...params.keys()].filter((name) => !checkpoint.tensors.has(name));
  if (missing.length > 0) {
    const more = missing.length > 1 ? ` (and ${missing.length - 1} more: ${missing.slice(1, 4).join(", ")}${missing.length > 4 ? ", ..." : ""})` : "";
    throw new Error(`${checkpoint.dir}: the weights lack tensor "${missing[0]}"${more} that ${model.config.architecture} needs`);
  }
  for (const name of checkpoint.tensors.keys()) {
    if (!params.has(name) && !isIgnoredTensor(name, model.config)) {
      throw new Error(`${where(checkpoint, name)} is not a parameter of ${model.config.architecture} with this config.json`);
    }
  }
  let largest = 0;
  for (const [name, param] of params) {
    const stored = checkpoint.tensors.get(name)!.shape;
    if (stored.length !== param.rank || stored.some((d, i) => d !== param.shape[i])) {
      throw new Error(`${where(checkpoint, name)} has shape [${stored.join(", ")}], config.json implies [${param.shape.join(", ")}]`);
    }
    largest = Math.max(largest, param.size);
  }
  // One host buffer, reused for every tensor.
  const scratch = new Float32Array(largest);
  for (const [name, param] of params) {
    const values = scratch.subarray(0, param.size);
    checkpoint.read(name, values);
    param.write(values);
    await yieldToEventLoop();
  }
}

/** Loads config.json, the tokenizer and the weights of a Hugging Face model folder. */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const dtype = options.dtype ?? "f32";
  if (dtype !== "f32" && dtype !== "bf16") throw new Error(`loadModel: dtype "${String(dtype)}" is not supported (f32, bf16)`);
  const config = loadDecoderConfig(dir);
  const tokenizer = loadTokenizer(dir);
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new Error(`${dir}: the tokenizer has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${config.vocabSize}`);
  }
  const checkpoint = openCheckpoint(dir);
  let model: DecoderModel | null = null;
  try {
    model = new DecoderModel(config, uninitialisedParameters(dtype, options.backend));
    await fillParameters(model, checkpoint);
    if (dtype === "bf16") model.freeze();
  } catch (error) {
    model?.dispose();
    throw error;
  } finally {
    checkpoint.close();
  }
  sourceFolders.set(tokenizer, dir);
  return { model, tokenizer, config, dir };
}
