// An OpenAI-compatible HTTP server for one model, on fastify: /v1/completions,
// /v1/chat/completions (streamed as server-sent events on request),
// /v1/models and /health. Every request's sequences share one continuously
// batched engine (see scheduler.ts). Errors come in OpenAI's shape.
import { createHash, timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { GenerationEngine } from "../generate/index.js";
import type { DecoderModel } from "../models/index.js";
import type { Tokenizer } from "../tokenize/index.js";
import { ApiError, chatRequest, completionRequest, parseBody, type SamplingRequest } from "./protocol.js";
import { planChat, planCompletion, type PlannedRequest, type ServedModel } from "./requests.js";
import { ResponseWriter, type Endpoint } from "./responses.js";
import { Scheduler, type SchedulerOptions } from "./scheduler.js";

/** createServer's defaults, those of `astarpo serve` too. */
export const SERVE_DEFAULTS = {
  /** Sequences decoded together. */
  maxBatch: 32,
  /** Sequences that may wait beyond the batch before requests are refused (429). */
  maxQueue: 256,
  /** Ten minutes per request. */
  requestTimeoutMs: 10 * 60 * 1000,
} as const;

/** What createServer serves and how; scheduler options left out take SERVE_DEFAULTS. */
export interface ServerOptions extends Partial<SchedulerOptions> {
  /** The model to sample from; it stays the caller's to dispose. */
  model: DecoderModel;
  /** Its tokenizer (with a chat template for /v1/chat/completions). */
  tokenizer: Tokenizer;
  /** The name clients send as `model`. */
  name: string;
  /** Clients must send `Authorization: Bearer <apiKey>` to /v1/ (default: no key). */
  apiKey?: string;
}

/** A server made by createServer, not yet listening. */
export interface ModelServer {
  /** The Fastify app, for injecting requests in tests or adding routes. */
  readonly app: FastifyInstance;
  /** The batching scheduler all requests share. */
  readonly scheduler: Scheduler;
  /** Starts listening; returns the base URL (http://host:port). */
  listen(host: string, port: number): Promise<string>;
  /**
   * Refuses new requests, lets those in flight finish for up to `graceMs`, fails the rest (503),
   * and closes. The model stays the caller's.
   */
  shutdown(graceMs: number): Promise<void>;
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/**
 * An OpenAI-compatible HTTP server for one model: /v1/completions,
 * /v1/chat/completions (streamed or not), /v1/models and /health, with
 * continuous batching of all requests' sequences.
 */
export function createServer(options: ServerOptions): ModelServer {
  const { model, tokenizer, name } = options;
  const maxBatch = options.maxBatch ?? SERVE_DEFAULTS.maxBatch;
  const engine = new GenerationEngine(model, tokenizer, { maxBatch });
  const scheduler = new Scheduler(engine, {
    maxBatch,
    maxQueue: options.maxQueue ?? SERVE_DEFAULTS.maxQueue,
    requestTimeoutMs: options.requestTimeoutMs ?? SERVE_DEFAULTS.requestTimeoutMs,
  });
  const served: ServedModel = { name, tokenizer, contextLength: model.config.maxPositionEmbeddings, vocabSize: engine.vocabSize };
  const app = Fastify({ logger: false });
  let requestCount = 0;
  /** Answers being sampled or written, and who waits for there to be none. */
  let answering = 0;
  const allAnswered: Array<() => void> = [];

  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    const apiError = error instanceof ApiError ? error
      : new ApiError(error.statusCode ?? 500, error.message, (error.statusCode ?? 500) < 500 ? "invalid_request_error" : "server_error");
    if (apiError.retryAfterSeconds !== null) void reply.header("retry-after", String(apiError.retryAfterSeconds));
    return reply.code(apiError.status).send(apiError.body);
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send(new ApiError(404, `no route for ${request.method} ${request.url}`).body));

  if (options.apiKey !== undefined) {
    const expected = digest(`Bearer ${options.apiKey}`);
    app.addHook("onRequest", async (request) => {
      if (!request.url.startsWith("/v1/")) return;
      if (!timingSafeEqual(digest(request.headers.authorization ?? ""), expected)) {
        throw new ApiError(401, "missing or wrong API key (send Authorization: Bearer <key>)", "invalid_request_error", null, "invalid_api_key");
      }
    });
  }

  app.get("/health", async () => ({ status: "ok", model: name, ...scheduler.load }));
  app.get("/v1/models", async () => ({
    object: "list",
    data: [{ id: name, object: "model", created: 0, owned_by: "astarpo", max_model_len: served.contextLength }],
  }));

  const plan = (endpoint: Endpoint, raw: unknown, label: string): { body: SamplingRequest; planned: PlannedRequest; logprobs: boolean } => {
    if (endpoint === "chat") {
      const body = parseBody(chatRequest, raw);
      return { body, planned: planChat(body, served, label), logprobs: body.logprobs === true };
    }
    const body = parseBody(completionRequest, raw);
    return { body, planned: planCompletion(body, served, label), logprobs: body.logprobs !== null && body.logprobs !== undefined };
  };

  /** Samples what a request asks and answers it whole or as a stream. */
  const answer = async (endpoint: Endpoint, request: FastifyRequest, reply: FastifyReply): Promise<object | undefined> => {
    const label = `request ${++requestCount}`;
    answering++;
    reply.raw.once("close", () => {
      if (--answering === 0) for (const wake of allAnswered.splice(0)) wake();
    });
    const { body, planned, logprobs } = plan(endpoint, request.body, label);
    let writer: ResponseWriter | null = null;
    const send = (data: object) => reply.raw.write(`data: ${JSON.stringify(data)}\n\n`);
    const job = scheduler.submit(planned.sequences, body.stream ? (stepped) => writer!.chunks(stepped).forEach(send) : undefined);
    writer = new ResponseWriter({
      endpoint,
      model: name,
      tokenizer,
      logprobs,
      keepStopString: body.include_stop_str_in_output === true,
      returnTokenIds: body.return_token_ids === true,
      tokensAsIds: body.return_tokens_as_token_ids === true,
    }, job.sequences, planned.prompts);
    reply.raw.on("close", () => {
      if (!reply.raw.writableFinished) job.cancel(new ApiError(499, "the client closed the connection"));
    });
    if (!body.stream) {
      await job.done;
      return writer.complete();
    }
    reply.hijack();
    reply.raw.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    try {
      await job.done;
      if (body.stream_options?.include_usage) send(writer.usageChunk());
    } catch (error) {
      send((error instanceof ApiError ? error : new ApiError(500, (error as Error).message, "server_error")).body);
    }
    reply.raw.end("data: [DONE]\n\n");
    return undefined;
  };
  app.post("/v1/completions", (request, reply) => answer("completion", request, reply));
  app.post("/v1/chat/completions", (request, reply) => answer("chat", request, reply));

  return {
    app,
    scheduler,
    listen: (host, port) => app.listen({ host, port }),
    shutdown: async (graceMs) => {
      const closed = app.close();
      await scheduler.drain(graceMs);
      await new Promise<void>((resolve) => (answering === 0 ? resolve() : allAnswered.push(resolve)));
      // Every answer is written: what connections remain are idle (kept alive, or opened ahead by a
      // client's pool) and would hold close() until they time out.
      app.server.closeAllConnections();
      await closed;
      engine.dispose();
    },
  };
}
