// A model behind the OpenAI API from its spec: resolve the model, start the
// server, and one call that stops both. `astarpo serve` and library callers
// (a stage 1 through a server in the same process, a test) start it the same way.
import { type WeightDtype } from "../models/index.js";
import { resolveModel } from "../pretrained/index.js";
import { backendFor, type Device } from "../tensor/index.js";
import { createServer, type ModelServer } from "./server.js";

/** What startServer serves and where (as `astarpo serve` takes it). */
export interface StartServerOptions {
  /** A Hugging Face model folder, or builtin:NAME (tiny, small: seeded; arithmetic: shipped). */
  model: string;
  /** How weight matrices are held: f32 (default) or bf16 (half the memory, faster decoding). */
  weights?: WeightDtype;
  /** Where the model and its tensors live (default cpu). */
  device?: Device;
  /** What clients send as `model`; default the `model` value. */
  servedModelName?: string;
  /** Where to listen; default 127.0.0.1. */
  host?: string;
  /** Default 8000; 0 takes any free port (read it from `baseUrl`). */
  port?: number;
  /** Most sequences decoded together (default 32). */
  maxBatch?: number;
  /** Most sequences waiting for a row; beyond it requests get 429 (default 256). */
  maxQueue?: number;
  /** A request unfinished after this long fails with 504 (default 600,000 ms). */
  requestTimeoutMs?: number;
  /** How long stop() lets requests in flight finish (default 30,000 ms). */
  shutdownGraceMs?: number;
  /** Require `Authorization: Bearer KEY` on /v1/. */
  apiKey?: string;
}

/** startServer's defaults: this machine only, port 8000, 30 s for requests in flight to finish on stop. */
export const START_DEFAULTS = {
  /** Listen on this machine only. */
  host: "127.0.0.1",
  /** The port to listen on. */
  port: 8000,
  /** Milliseconds requests in flight get to finish on stop. */
  shutdownGraceMs: 30_000,
} as const;

/** A server startServer started, and how to stop it. */
export interface RunningServer {
  /** The OpenAI base URL, /v1 included. */
  baseUrl: string;
  /** The served model's name. */
  name: string;
  /** The server itself (its Fastify app and scheduler). */
  server: ModelServer;
  /** Shuts the server down (requests in flight get shutdownGraceMs) and frees the model. */
  stop(): Promise<void>;
}

/** Loads the model and starts listening. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const host = options.host ?? START_DEFAULTS.host;
  const port = options.port ?? START_DEFAULTS.port;
  const { model, tokenizer } = await resolveModel(options.model, { weights: options.weights, backend: backendFor(options.device) });
  const name = options.servedModelName ?? options.model;
  const server = createServer({
    model, tokenizer, name,
    maxBatch: options.maxBatch,
    maxQueue: options.maxQueue,
    requestTimeoutMs: options.requestTimeoutMs,
    apiKey: options.apiKey,
  });
  let url: string;
  try {
    url = await server.listen(host, port);
  } catch (error) {
    await server.shutdown(0);
    model.dispose();
    throw new Error(`cannot listen on ${host}:${port}: ${(error as Error).message}`);
  }
  return {
    baseUrl: `${url}/v1`,
    name,
    server,
    stop: async () => {
      await server.shutdown(options.shutdownGraceMs ?? START_DEFAULTS.shutdownGraceMs);
      model.dispose();
    },
  };
}
