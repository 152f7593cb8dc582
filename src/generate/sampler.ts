// Where responses come from, as stage 1 and evaluation see it: the model in
// this process, or (wired in by the command line) any server that speaks the
// OpenAI completions protocol. Both return what generate() returns, so a cache
// of samples does not depend on which one made it.
import type { DecoderModel } from "../models/index.js";
import type { GenerationConfig, GenerationTokenizer } from "./config.js";
import { generate, type GeneratedSequence } from "./generate.js";

/** One prompt to sample from: its token ids (what the model reads) and the text they came from. */
export interface SamplePrompt {
  /** The token ids the model reads. */
  ids: readonly number[];
  /** The prompt's text, for samplers that send text rather than ids. */
  text: string;
}

/** Where responses come from: the model in this process or a server. */
export interface ResponseSampler {
  /** What the responses came from (a model folder, `builtin:...`, a server's model name): kept in caches. */
  readonly source: string;
  /**
   * How many sequences one call should carry to keep this sampler busy: a
   * pool of requests drains at the end of every call, so it wants several
   * times its concurrency. Unset: the caller's generation batch size.
   */
  readonly callSize?: number;
  /**
   * One response per prompt, in prompt order (a prompt given n times gets n
   * independent responses). Sequence i draws from a generator seeded by
   * (config.seed, i) or config.seeds[i], whatever sampler runs it.
   */
  sample(prompts: readonly SamplePrompt[], config: GenerationConfig): Promise<GeneratedSequence[]>;
}

/** Samples from a model in this process. */
export function localSampler(model: DecoderModel, tokenizer: GenerationTokenizer, source: string): ResponseSampler {
  return {
    source,
    sample: async (prompts, config) => generate(model, tokenizer, prompts.map((p) => p.ids), config),
  };
}
