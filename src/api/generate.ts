// Generation from code, as `astarpo generate` samples: a model by its spec,
// prompts as text (or rendered by the model's chat template), and the
// responses with their token ids, log-probs and finish reasons.
import { generate, type GeneratedSequence, type GenerationConfig, type GenerationProgress } from "../generate/index.js";
import { type WeightDtype } from "../models/index.js";
import { resolveModel } from "../pretrained/index.js";
import { backendFor, type Device } from "../tensor/index.js";
import type { Tokenizer } from "../tokenize/index.js";

/** The sampling settings, with generate()'s defaults (GENERATION_DEFAULTS): 256 new tokens, temperature 1, no filters, seed 0, 16 decoded together. */
export type SamplingSettings = Pick<GenerationConfig, "maxNewTokens" | "temperature" | "topP" | "topK" | "minP" | "greedy" | "seed" | "batchSize">;

export interface GenerateTextOptions extends SamplingSettings {
  /** A Hugging Face model folder, or builtin:NAME. */
  model: string;
  /** One prompt, or several (each gets `num` responses, one after another). */
  prompt: string | readonly string[];
  /** Render each prompt as a user message with the model's chat template. */
  chat?: boolean;
  /** With `chat`: a system message before the prompt. */
  system?: string;
  /** Responses per prompt (default 1). */
  num?: number;
  /** Texts that end a response. */
  stop?: readonly string[];
  /** How the weights are held while sampling: f32 (default) or bf16 (half the memory, faster). */
  weights?: WeightDtype;
  /** Where the model and its tensors live (default cpu). */
  device?: Device;
  /** Called after every decoding step. */
  onProgress?: (progress: GenerationProgress) => void;
}

/** generateText's responses and its throughput. */
export interface GeneratedText {
  /** `num` responses per prompt, in prompt order. */
  sequences: GeneratedSequence[];
  /** New tokens per second of sampling. */
  tokensPerSecond: number;
}

/** A prompt's token ids: the chat template's rendering with `chat`, else the text with the tokenizer's special tokens. */
function promptIds(tokenizer: Tokenizer, prompt: string, options: GenerateTextOptions): number[] {
  if (options.system !== undefined && !options.chat) throw new Error("option \"system\" needs \"chat\": a system message goes through the chat template");
  if (!options.chat) return tokenizer.encode(prompt);
  const messages = [...(options.system !== undefined ? [{ role: "system", content: options.system }] : []), { role: "user", content: prompt }];
  return tokenizer.encode(tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true }), { addSpecialTokens: false });
}

/** Samples `num` responses to each prompt, as `astarpo generate` does. */
export async function generateText(options: GenerateTextOptions): Promise<GeneratedText> {
  const { model, tokenizer } = await resolveModel(options.model, { weights: options.weights, backend: backendFor(options.device) });
  try {
    const prompts = typeof options.prompt === "string" ? [options.prompt] : options.prompt;
    const num = options.num ?? 1;
    const ids = prompts.flatMap((prompt) => new Array<number[]>(num).fill(promptIds(tokenizer, prompt, options)));
    const started = performance.now();
    const { maxNewTokens, temperature, topP, topK, minP, greedy, seed, batchSize } = options;
    const sequences = generate(model, tokenizer, ids, {
      maxNewTokens, temperature, topP, topK, minP, greedy, seed, batchSize, stopStrings: options.stop, onProgress: options.onProgress,
    });
    const seconds = (performance.now() - started) / 1000;
    const newTokens = sequences.reduce((n, s) => n + s.tokenIds.length, 0);
    return { sequences, tokensPerSecond: newTokens / seconds };
  } finally {
    model.dispose();
  }
}
