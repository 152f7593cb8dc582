// From a checked request body to the sequences the engine samples: the
// prompts as token ids (a completion's text encoded as generate() encodes it,
// a chat rendered with the model's chat template), one sampling plan, and n
// sequences per prompt. Choice j of a prompt draws from a generator seeded
// with seed + j (vLLM's rule), so a request for one choice with seed s
// samples what generate() samples for a sequence whose seed is s.
import { randomInt } from "node:crypto";
import {
  checkPrompt, GENERATION_DEFAULTS, resolveGenerationConfig, SamplingPlan, type GenerationConfig, type SequenceRequest,
} from "../generate/index.js";
import type { ChatMessage, Tokenizer } from "../tokenize/index.js";
import { ApiError, type ChatRequest, type CompletionRequest, type SamplingRequest } from "./protocol.js";

/** The model a server answers for. */
export interface ServedModel {
  /** The name clients send as `model`. */
  name: string;
  tokenizer: Tokenizer;
  /** Prompt and response tokens together. */
  contextLength: number;
  /** Token ids a prompt may hold: [0, vocabSize). */
  vocabSize: number;
}

export interface PlannedRequest {
  /** The prompts as token ids; each is sampled n times. */
  prompts: number[][];
  n: number;
  /** Prompt-major: sequence p * n + j is choice j of prompt p. */
  sequences: SequenceRequest[];
  plan: SamplingPlan;
}

function checkModel(body: SamplingRequest, served: ServedModel): void {
  if (body.model !== served.name) throw new ApiError(404, `the model \`${body.model}\` does not exist; this server serves \`${served.name}\``, "invalid_request_error", "model", "model_not_found");
}

function completionPrompts(body: CompletionRequest, served: ServedModel): number[][] {
  const { prompt } = body;
  const list = typeof prompt === "string" ? [prompt] : typeof prompt[0] === "number" ? [prompt as number[]] : (prompt as Array<string | number[]>);
  return list.map((p, i) => {
    const ids = typeof p === "string" ? served.tokenizer.encode(p) : p;
    try {
      checkPrompt(ids, `prompt ${i}`, served.vocabSize);
    } catch (error) {
      throw new ApiError(400, (error as Error).message, "invalid_request_error", "prompt");
    }
    return ids;
  });
}

function chatPrompt(body: ChatRequest, served: ServedModel): number[] {
  const { tokenizer } = served;
  if (!tokenizer.hasChatTemplate) throw new ApiError(400, `the model \`${served.name}\` has no chat template; use /v1/completions`, "invalid_request_error", "messages");
  const messages: ChatMessage[] = body.messages.map((m) => ({
    role: m.role,
    content: typeof m.content === "string" ? m.content : (m.content ?? []).map((part) => part.text).join(""),
  }));
  let rendered: string;
  try {
    rendered = tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true });
  } catch (error) {
    throw new ApiError(400, `messages: ${(error as Error).message}`, "invalid_request_error", "messages");
  }
  const ids = tokenizer.encode(rendered, { addSpecialTokens: false });
  if (ids.length === 0) throw new ApiError(400, "messages: the rendered conversation has no tokens", "invalid_request_error", "messages");
  return ids;
}

/** One plan for the request: OpenAI's temperature 0 is greedy; max_tokens defaults to generate()'s default, within the context. */
function samplingPlan(body: SamplingRequest, maxTokensAsked: number | null | undefined, prompts: number[][], served: ServedModel): SamplingPlan {
  const longest = Math.max(...prompts.map((p) => p.length));
  const room = served.contextLength - longest;
  const maxNewTokens = maxTokensAsked ?? Math.min(GENERATION_DEFAULTS.maxNewTokens, room);
  if (maxNewTokens > room || room < 1) {
    throw new ApiError(400, `this model's context holds ${served.contextLength} tokens; the prompt has ${longest} and max_tokens asks for ${maxNewTokens} more`,
      "invalid_request_error", "max_tokens");
  }
  const { tokenizer } = served;
  const greedy = body.temperature === 0;
  const config: GenerationConfig = {
    maxNewTokens,
    greedy,
    temperature: greedy ? 1 : body.temperature ?? 1,
    topP: body.top_p ?? 1,
    topK: Math.max(0, body.top_k ?? 0),
    minP: body.min_p ?? 0,
    stopTokenIds: [...new Set([...(body.ignore_eos ? [] : tokenizer.eosTokenIds), ...(body.stop_token_ids ?? [])])],
    stopStrings: typeof body.stop === "string" ? [body.stop] : body.stop ?? [],
  };
  try {
    return new SamplingPlan(resolveGenerationConfig(config, tokenizer, prompts.length), tokenizer);
  } catch (error) {
    throw new ApiError(400, (error as Error).message, "invalid_request_error");
  }
}

function planned(body: SamplingRequest, prompts: number[][], plan: SamplingPlan, topLogprobs: number, label: string): PlannedRequest {
  const n = body.n ?? 1;
  const seed = body.seed ?? randomInt(2 ** 32);
  const sequences = prompts.flatMap((prompt, p) => Array.from({ length: n }, (_, j) => ({
    prompt, plan, seed: seed + j, topLogprobs, label: `${label} choice ${p * n + j}`,
  })));
  return { prompts, n, sequences, plan };
}

export function planCompletion(body: CompletionRequest, served: ServedModel, label: string): PlannedRequest {
  checkModel(body, served);
  const prompts = completionPrompts(body, served);
  return planned(body, prompts, samplingPlan(body, body.max_tokens, prompts, served), body.logprobs ?? 0, label);
}

export function planChat(body: ChatRequest, served: ServedModel, label: string): PlannedRequest {
  checkModel(body, served);
  const prompts = [chatPrompt(body, served)];
  const plan = samplingPlan(body, body.max_completion_tokens ?? body.max_tokens, prompts, served);
  return planned(body, prompts, plan, body.logprobs ? body.top_logprobs ?? 0 : 0, label);
}
