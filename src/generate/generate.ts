// Batched sampling with a KV cache: the generation engine driven to the end.
// Prompts are decoded in batches of batchSize, longest first (so each batch
// pads as little as possible) with equal prompts side by side (so they share
// a prefill); each batch runs to its end before the next joins, which keeps
// the work of a call the same whatever the engine does between calls.
import type { DecoderModel } from "../models/index.js";
import { resolveGenerationConfig, type GenerationConfig, type GenerationTokenizer } from "./config.js";
import { checkPrompt, GenerationEngine, SamplingPlan, type FinishReason, type Sequence } from "./engine.js";
import { sequenceSeed } from "./samplers.js";

/** One response of generate() (or of a ResponseSampler), with what it was sampled from. */
export interface GeneratedSequence {
  /** The prompt as the model read it. */
  promptTokenIds: number[];
  /** Number of prompt tokens. */
  promptTokenCount: number;
  /** The sampled tokens, a stop token included. */
  tokenIds: number[];
  /** The response's text: without a final stop token, cut after a stop string. */
  text: string;
  /** log p(token) of each sampled token (see GenerationConfig.logprobsAtTemperature). */
  logprobs: number[];
  /** "stop": a stop token or stop string ended it; "length": maxNewTokens did. */
  finishReason: FinishReason;
  /**
   * Set by a sampler that did not get the sampled token ids back and encoded the text instead:
   * tokenIds may then differ from what was sampled (and lack a final stop token).
   */
  retokenized?: boolean;
}

function compareIds(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** What generate() returns for a sequence the engine finished. */
export function generatedSequence(sequence: Sequence): GeneratedSequence {
  return {
    promptTokenIds: [...sequence.prompt],
    promptTokenCount: sequence.prompt.length,
    tokenIds: sequence.tokens,
    text: sequence.plan.responseText(sequence.tokens, sequence.finish),
    logprobs: sequence.logprobs,
    finishReason: sequence.finish ?? "length",
  };
}

/**
 * Samples a response to every prompt (text, encoded with the tokenizer's
 * special tokens, or token ids as given). Results come in prompt order.
 */
export function generate(model: DecoderModel, tokenizer: GenerationTokenizer, prompts: ReadonlyArray<string | readonly number[]>,
  config: GenerationConfig = {}): GeneratedSequence[] {
  const options = resolveGenerationConfig(config, tokenizer, prompts.length);
  const engine = new GenerationEngine(model, tokenizer, { maxBatch: options.batchSize });
  try {
    const ids = prompts.map((prompt, i) => {
      const encoded = typeof prompt === "string" ? tokenizer.encode(prompt) : [...prompt];
      checkPrompt(encoded, `generate: prompt ${i}`, engine.vocabSize);
      return encoded;
    });
    const plan = new SamplingPlan(options, tokenizer);
    const order = ids.map((_, i) => i).sort((a, b) => ids[b].length - ids[a].length || compareIds(ids[a], ids[b]) || a - b);
    const sequences: Sequence[] = new Array(ids.length);
    const started = performance.now();
    let newTokens = 0, finished = 0;
    for (let start = 0; start < order.length; start += options.batchSize) {
      for (const i of order.slice(start, start + options.batchSize)) {
        sequences[i] = engine.submit({ prompt: ids[i], plan, seed: options.seeds?.[i] ?? sequenceSeed(options.seed, i), label: `sequence ${i}` });
      }
      while (!engine.idle) {
        const stepped = engine.step();
        newTokens += stepped.length;
        for (const s of stepped) if (s.finish !== null) finished++;
        options.onProgress?.({ finishedSequences: finished, totalSequences: ids.length, newTokens, seconds: (performance.now() - started) / 1000 });
      }
    }
    return sequences.map(generatedSequence);
  } finally {
    engine.dispose();
  }
}
