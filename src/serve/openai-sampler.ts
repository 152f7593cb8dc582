// Stage 1 (or any sampling) through a server that speaks the OpenAI
// completions protocol: astarpo serve, vLLM, SGLang, llama.cpp's server. One
// request per sequence (n = 1) carries the prompt's token ids and the
// sequence's own seed, so against astarpo serve every sequence samples what
// generate() samples for it. vLLM's extensions ask for the sampled token ids
// (return_token_ids, or token_id:ID spellings in the log-probs) and for
// exactly the stop tokens and stop strings of the config; a server that
// ignores them still answers, and what it leaves out is recovered from the
// text (re-encoded ids are marked `retokenized`). The official openai client
// sends the requests: it retries 408/409/429/5xx answers and lost connections
// with exponential backoff and jitter, honouring Retry-After.
import OpenAI from "openai";
import type { Completion, CompletionCreateParamsNonStreaming } from "openai/resources/completions";
import { z } from "zod";
import {
  resolveGenerationConfig, sequenceSeed,
  type GeneratedSequence, type GenerationConfig, type ResponseSampler, type SamplePrompt,
} from "../generate/index.js";
import type { Tokenizer } from "../tokenize/index.js";

/** Where openaiSampler sends its requests, and how. */
export interface OpenAISamplerOptions {
  /** The server's OpenAI base URL, /v1 included (e.g. http://host:8000/v1). */
  baseUrl: string;
  /** The model name the server serves. */
  model: string;
  /** Sent as `Authorization: Bearer <apiKey>` (default: none). */
  apiKey?: string;
  /** The served model's tokenizer: its EOS ids are the default stop tokens, and it re-encodes text when a server returns no ids. */
  tokenizer: Pick<Tokenizer, "vocabSize" | "eosTokenIds" | "encode" | "decode">;
  /**
   * Requests in flight at once (default 64: twice `astarpo serve`'s batch, so that a row the server frees
   * is taken by a waiting request at its next step instead of idling for a round trip).
   */
  concurrency?: number;
  /** Retries of a request that failed with 408/409/429/5xx or no answer (default 5). */
  maxRetries?: number;
  /** Milliseconds one request may take, each retry anew (default 10 minutes). */
  timeoutMs?: number;
  /** Send prompts as token ids (default; exact) or as text, for servers that take only text. */
  promptFormat?: "ids" | "text";
}

/** openaiSampler's defaults. */
export const OPENAI_SAMPLER_DEFAULTS = {
  /** Requests in flight at once: twice `astarpo serve`'s batch. */
  concurrency: 64,
  /** Retries of a failed request. */
  maxRetries: 5,
  /** Ten minutes per request, each retry anew. */
  timeoutMs: 10 * 60 * 1000,
  /** Prompts go as token ids, exactly as tokenized here. */
  promptFormat: "ids",
} as const;

/**
 * Sequences a caller should hand one call, per request slot: the pool drains
 * at the end of a call (slots idle while the last requests finish), which a
 * call several times the concurrency long pays only in its last stretch.
 */
const CALL_SIZE_PER_SLOT = 4;

/** The part of a completion choice this sampler reads; vLLM's extensions are optional. */
const choiceSchema = z.object({
  text: z.string(),
  finish_reason: z.string().nullish(),
  token_ids: z.array(z.number().int()).nullish(),
  prompt_token_ids: z.array(z.number().int()).nullish(),
  logprobs: z.object({
    tokens: z.array(z.string()).nullish(),
    token_logprobs: z.array(z.number().nullable()).nullish(),
  }).nullish(),
});

const TOKEN_ID_SPELLING = /^token_id:(\d+)$/;

/** The sampled ids as the server returned them (token_ids, or log-prob tokens spelled token_id:ID), or null. */
function returnedIds(choice: z.infer<typeof choiceSchema>): number[] | null {
  if (choice.token_ids) return choice.token_ids;
  const spelled = choice.logprobs?.tokens?.map((t) => TOKEN_ID_SPELLING.exec(t));
  if (spelled && spelled.every((m) => m !== null)) return spelled.map((m) => Number(m![1]));
  return null;
}

/**
 * Runs task(0..count-1) with at most `concurrency` in flight; results in order. The first failure
 * rejects, and no further task starts. (A pool of workers over a counter: a few lines, no dependency.)
 */
async function inPool<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0, failed = false;
  const worker = async () => {
    while (!failed && next < count) {
      const index = next++;
      try {
        results[index] = await task(index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/** A server's base URL, checked: only http(s) reaches a server ("host:8000" parses as a URL of scheme "host:"). */
export function serverUrl(baseUrl: string): URL {
  let url: URL | null = null;
  try {
    url = new URL(baseUrl);
  } catch {
    // reported below
  }
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new Error(`openai sampler: base URL ${JSON.stringify(baseUrl)} is not an http(s) URL (expected e.g. http://host:8000/v1)`);
  }
  return url;
}

/**
 * A response sampler that asks an OpenAI-compatible completions server
 * (astarpo serve, vLLM, SGLang, llama.cpp) for each sequence, one request per
 * sequence with its own seed, retrying failed requests.
 */
export function openaiSampler(options: OpenAISamplerOptions): ResponseSampler {
  const { model, tokenizer } = options;
  const concurrency = options.concurrency ?? OPENAI_SAMPLER_DEFAULTS.concurrency;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new Error(`openai sampler: concurrency must be a positive integer, got ${concurrency}`);
  const url = serverUrl(options.baseUrl);
  const client = new OpenAI({
    baseURL: url.href.replace(/\/$/, ""),
    apiKey: options.apiKey ?? "none",
    maxRetries: options.maxRetries ?? OPENAI_SAMPLER_DEFAULTS.maxRetries,
    timeout: options.timeoutMs ?? OPENAI_SAMPLER_DEFAULTS.timeoutMs,
  });
  const promptFormat = options.promptFormat ?? OPENAI_SAMPLER_DEFAULTS.promptFormat;
  // Caches record where samples came from: the server without any credentials its URL carries.
  const shownUrl = new URL(url.href);
  shownUrl.username = "";
  shownUrl.password = "";

  const sampleOne = async (prompt: SamplePrompt, index: number, seed: number, config: ReturnType<typeof resolveGenerationConfig>): Promise<GeneratedSequence> => {
    const body: Record<string, unknown> = {
      model,
      prompt: promptFormat === "ids" ? [...prompt.ids] : prompt.text,
      n: 1,
      seed,
      max_tokens: config.maxNewTokens,
      temperature: config.greedy ? 0 : config.temperature,
      top_p: config.topP,
      // Neutral values are sent too: vLLM fills a field left out from the model's generation_config.json
      // (top_k 20 or repetition_penalty 1.05 for some releases), which would change what is sampled.
      top_k: config.topK > 0 ? config.topK : -1,
      min_p: config.minP,
      repetition_penalty: 1,
      ...(config.stopStrings.length > 0 ? { stop: [...config.stopStrings] } : {}),
      // Exactly the config's stop tokens: vLLM then stops on these and not on its own EOS.
      stop_token_ids: [...config.stopTokenIds],
      ignore_eos: true,
      include_stop_str_in_output: true,
      logprobs: 0,
      return_token_ids: true,
      return_tokens_as_token_ids: true,
    };
    let response: Completion;
    try {
      response = await client.completions.create(body as unknown as CompletionCreateParamsNonStreaming);
    } catch (error) {
      throw new Error(`openai sampler: ${options.baseUrl}, sequence ${index}: ${(error as Error).message}`);
    }
    const parsed = choiceSchema.safeParse(response.choices?.[0]);
    if (!parsed.success) {
      throw new Error(`openai sampler: ${options.baseUrl}, sequence ${index}: the answer has no completion choice (${parsed.error.issues[0].path.join(".")}: ${parsed.error.issues[0].message})`);
    }
    const choice = parsed.data;
    const ids = returnedIds(choice);
    const logprobs = choice.logprobs?.token_logprobs;
    return {
      promptTokenIds: choice.prompt_token_ids ?? [...prompt.ids],
      promptTokenCount: (choice.prompt_token_ids ?? prompt.ids).length,
      tokenIds: ids ?? tokenizer.encode(choice.text, { addSpecialTokens: false }),
      text: choice.text,
      logprobs: logprobs ? logprobs.map((lp) => lp ?? Number.NaN) : [],
      finishReason: choice.finish_reason === "length" ? "length" : "stop",
      ...(ids === null ? { retokenized: true } : {}),
    };
  };

  return {
    source: `${model} at ${shownUrl.href.replace(/\/$/, "")}`,
    callSize: CALL_SIZE_PER_SLOT * concurrency,
    sample: async (prompts, config: GenerationConfig) => {
      const resolved = resolveGenerationConfig(config, tokenizer, prompts.length);
      const started = performance.now();
      let finished = 0, newTokens = 0;
      return inPool(prompts.length, concurrency, async (i) => {
        const sequence = await sampleOne(prompts[i], i, resolved.seeds?.[i] ?? sequenceSeed(resolved.seed, i), resolved);
        finished++;
        newTokens += sequence.tokenIds.length;
        resolved.onProgress?.({ finishedSequences: finished, totalSequences: prompts.length, newTokens, seconds: (performance.now() - started) / 1000 });
        return sequence;
      });
    },
  };
}
