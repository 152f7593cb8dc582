// `astarpo serve`: an OpenAI-compatible server for a model folder or a
// built-in model, until SIGTERM or SIGINT (then requests in flight get a grace
// period to finish, and the rest fail).
import { Option, type Command } from "commander";
import { BUILTIN_PREFIX } from "../pretrained/index.js";
import { SERVE_DEFAULTS, START_DEFAULTS, startServer, type StartServerOptions } from "../serve/index.js";
import type { CliIO } from "./io.js";
import { deviceOption, nonNegativeInteger, numberOption, positiveInteger, positiveNumber, UsageError } from "./options.js";

/** The built-in task's model, which --builtin serves: the shipped reference policy of the arithmetic task. */
export const BUILTIN_TASK_MODEL = { spec: `${BUILTIN_PREFIX}arithmetic` } as const;

/** The command's flags; times in seconds, as a command line gives them. */
export interface ServeFlags extends Omit<StartServerOptions, "model" | "requestTimeoutMs" | "shutdownGraceMs"> {
  model?: string;
  builtin?: boolean;
  host: string;
  port: number;
  maxBatch: number;
  maxQueue: number;
  requestTimeout: number;
  shutdownGrace: number;
}

/** Resolves with the name of the first of SIGTERM and SIGINT to arrive. */
function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const signals = ["SIGTERM", "SIGINT"] as const;
    const handlers = signals.map((signal) => () => {
      signals.forEach((s, i) => process.off(s, handlers[i]));
      resolve(signal);
    });
    signals.forEach((s, i) => process.once(s, handlers[i]));
  });
}

export function register(program: Command, io: CliIO): void {
  program
    .command("serve")
    .description("serve a model over the OpenAI API (/v1/completions, /v1/chat/completions, /v1/models), batching concurrent requests")
    .option("--model <dir>", `a Hugging Face model folder, or ${BUILTIN_PREFIX}<name> (tiny, small: seeded; arithmetic: shipped)`)
    .option("--builtin", `serve the built-in task's model (${BUILTIN_TASK_MODEL.spec}, shipped with the package): try the server with no download`)
    .addOption(new Option("--weights <type>", "hold the weights as f32, or as bf16: half the memory, faster sampling").choices(["f32", "bf16"]).default("f32"))
    .addOption(deviceOption())
    .option("--served-model-name <name>", "the name clients send as `model` (default: the --model value)")
    .option("--host <host>", "address to listen on", START_DEFAULTS.host)
    .option("--port <n>", "port to listen on (0: any free one)", nonNegativeInteger("--port"), START_DEFAULTS.port)
    .option("--max-batch <n>", "most sequences decoded together", positiveInteger("--max-batch"), SERVE_DEFAULTS.maxBatch)
    .option("--max-queue <n>", "most sequences waiting beyond the batch; more are refused with 429", nonNegativeInteger("--max-queue"), SERVE_DEFAULTS.maxQueue)
    .option("--request-timeout <s>", "fail a request still unfinished after this many seconds (504)", positiveNumber("--request-timeout"), SERVE_DEFAULTS.requestTimeoutMs / 1000)
    .option("--shutdown-grace <s>", "on SIGTERM, seconds requests in flight get to finish before they fail (503)",
      numberOption("--shutdown-grace", (n) => n >= 0, "a number >= 0"), START_DEFAULTS.shutdownGraceMs / 1000)
    .addOption(new Option("--api-key <key>", "require `Authorization: Bearer <key>` on /v1/ requests").env("ASTARPO_API_KEY"))
    .action(async (options: ServeFlags) => {
      if ((options.model === undefined) === (options.builtin !== true)) throw new UsageError("give either --model DIR|builtin:NAME or --builtin");
      const { builtin: _builtin, requestTimeout, shutdownGrace, ...rest } = options;
      const running = await startServer({
        ...rest, model: options.builtin ? BUILTIN_TASK_MODEL.spec : options.model!, requestTimeoutMs: requestTimeout * 1000, shutdownGraceMs: shutdownGrace * 1000,
      });
      const signal = stopSignal();
      io.stderr(`serving ${running.name} at ${running.baseUrl} (batches of up to ${options.maxBatch}); SIGTERM or Ctrl-C stops\n`);
      io.stderr(`${await signal}: finishing requests in flight (up to ${options.shutdownGrace} s)\n`);
      await running.stop();
      io.stderr("stopped\n");
    });
}
