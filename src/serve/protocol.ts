// The OpenAI request bodies the server accepts, checked once where they enter,
// and its errors in OpenAI's shape. Beyond OpenAI's fields it takes vLLM's
// sampling extensions (top_k, min_p, stop_token_ids, ignore_eos,
// include_stop_str_in_output, return_token_ids, return_tokens_as_token_ids),
// so one client speaks to both servers alike.
import { z } from "zod";

/** An error as OpenAI's API returns it, with the HTTP status it goes with. */
export class ApiError extends Error {
  constructor(
    /** The HTTP status of the response. */
    readonly status: number,
    message: string,
    /** OpenAI's error type: "invalid_request_error" (the default) or "server_error". */
    readonly type = "invalid_request_error",
    /** The request field at fault, when there is one. */
    readonly param: string | null = null,
    /** A machine-readable code such as "timeout", when there is one. */
    readonly code: string | null = null,
    /** Sent as the Retry-After header (seconds), for a full queue. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }

  /** The JSON body of the error response. */
  get body(): {
    /** The error, in OpenAI's format. */
    error: {
      /** What went wrong, for a person. */
      message: string;
      /** As ApiError.type. */
      type: string;
      /** As ApiError.param. */
      param: string | null;
      /** As ApiError.code. */
      code: string | null;
    };
  } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

const nonNegativeNumber = z.number().refine(Number.isFinite, "must be a finite number").refine((n) => n >= 0, "must be >= 0");
const stop = z.union([z.string().min(1, "must not be empty"), z.array(z.string().min(1, "must not be empty")).max(16, "at most 16 stop strings")]);

/** Fields that change what is sampled and that this server does not implement: refused rather than ignored. */
const unsupported = {
  presence_penalty: z.literal(0, "is not supported (only 0)").nullish(),
  frequency_penalty: z.literal(0, "is not supported (only 0)").nullish(),
  repetition_penalty: z.literal(1, "is not supported (only 1)").nullish(),
  logit_bias: z.record(z.string(), z.number()).refine((b) => Object.keys(b).length === 0, "is not supported").nullish(),
  best_of: z.literal(1, "is not supported (only 1)").nullish(),
  echo: z.literal(false, "is not supported").nullish(),
  suffix: z.null("is not supported").optional(),
  tools: z.array(z.unknown()).max(0, "are not supported").nullish(),
  response_format: z.object({ type: z.literal("text", "is not supported (only text)") }).nullish(),
};

const sampling = {
  model: z.string().min(1, "must name the served model"),
  max_tokens: z.number().int("must be an integer").min(1, "must be >= 1").nullish(),
  temperature: nonNegativeNumber.nullish(),
  top_p: z.number().gt(0, "must be in (0, 1]").max(1, "must be in (0, 1]").nullish(),
  top_k: z.number().int("must be an integer").min(-1, "must be -1 or 0 (off) or a positive integer").nullish(),
  min_p: z.number().min(0, "must be in [0, 1)").lt(1, "must be in [0, 1)").nullish(),
  n: z.number().int("must be an integer").min(1, "must be >= 1").max(128, "must be <= 128").nullish(),
  stop: stop.nullish(),
  stop_token_ids: z.array(z.number().int("must be token ids").min(0, "must be token ids")).nullish(),
  ignore_eos: z.boolean().nullish(),
  include_stop_str_in_output: z.boolean().nullish(),
  seed: z.number().int("must be an integer").nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  return_token_ids: z.boolean().nullish(),
  return_tokens_as_token_ids: z.boolean().nullish(),
  ...unsupported,
};

const tokenIds = z.array(z.number().int().min(0)).min(1);

export const completionRequest = z.object({
  ...sampling,
  prompt: z.union([z.string(), z.array(z.string()).min(1), tokenIds, z.array(tokenIds).min(1)],
    "must be a string, a list of strings, a list of token ids or a list of such lists, none of them empty"),
  logprobs: z.number().int("must be an integer").min(0, "must be in [0, 20]").max(20, "must be in [0, 20]").nullish(),
});

const textPart = z.object({ type: z.literal("text", "only text parts are supported"), text: z.string() });

export const chatRequest = z.object({
  ...sampling,
  messages: z.array(z.object({
    role: z.string().min(1, "must not be empty"),
    content: z.union([z.string(), z.array(textPart)], "must be a string or a list of text parts ({type: \"text\", text})").nullish(),
  })).min(1, "must hold at least one message"),
  max_completion_tokens: z.number().int("must be an integer").min(1, "must be >= 1").nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int("must be an integer").min(0, "must be in [0, 20]").max(20, "must be in [0, 20]").nullish(),
});

export type CompletionRequest = z.infer<typeof completionRequest>;
export type ChatRequest = z.infer<typeof chatRequest>;
export type SamplingRequest = CompletionRequest | ChatRequest;

/** The body parsed with `schema`, or a 400 naming the first bad field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const param = issue.path.length > 0 ? issue.path.join(".") : null;
  throw new ApiError(400, param === null ? `request body: ${issue.message}` : `${param}: ${issue.message}`, "invalid_request_error", param);
}
