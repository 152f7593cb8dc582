// `astarpo rollouts RUN`: the samples a run kept in its rollouts.sqlite: a
// step's best, worst or latest, filtered by reward, length or finish reason,
// or one prompt's history across steps, each with what its reward was given.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { Option, type Command } from "commander";
import { RolloutReader, ROLLOUTS_FILE, SAMPLE_ORDERS, type RolloutQuery, type RolloutRow, type SampleOrder } from "../train/rollout-store.js";
import { short } from "../train/progress.js";
import type { CliIO } from "./io.js";
import { nonNegativeInteger, numberOption, UsageError } from "./options.js";

/** The store of a run folder (or the file itself); a comparison's folder names the runs inside it. */
export function rolloutStorePath(run: string): string {
  if (existsSync(run) && statSync(run).isFile()) return run;
  const path = join(run, ROLLOUTS_FILE);
  if (existsSync(path)) return path;
  if (!existsSync(run)) throw new UsageError(`${run}: no such run folder`);
  const inside = readdirSync(run).filter((name) => existsSync(join(run, name, ROLLOUTS_FILE)));
  if (inside.length > 0) throw new UsageError(`${run} holds several runs: give one of ${inside.map((name) => join(run, name)).join(", ")}`);
  throw new UsageError(`${run}: no ${ROLLOUTS_FILE} (the run has sampled nothing yet, or ran with --log-completions false)`);
}


/** A sample as text: a heading line of numbers, then the prompt, what the reward read besides the completion, and the completion. */
export function describeSample(row: RolloutRow, index: number): string {
  const values = [
    `reward ${short(row.reward)}${row.reward_raw === null ? " (undecided)" : row.reward_raw !== row.reward ? ` (raw ${short(row.reward_raw)})` : ""}`,
    row.advantage === null ? "" : `advantage ${short(row.advantage)}`,
    row.v_hat === null ? "" : `V-hat ${short(row.v_hat)}`,
    row.implicit_reward === null ? "" : `implicit reward ${short(row.implicit_reward)}`,
    row.kl === null ? "" : `KL ${short(row.kl)}`,
    `log-prob/token ${short(row.logprob_mean)}`,
    `${row.completion_tokens} tokens, ${row.finish_reason === "stop" ? "ended" : "cut at the limit"}`,
  ].filter((v) => v !== "");
  const indent = (label: string, text: string) => {
    const lines = text.replace(/\n$/, "").split("\n");
    return lines.map((line, i) => `    ${i === 0 ? label.padEnd(13) : " ".repeat(13)}${line}`).join("\n");
  };
  const inputs = Object.entries(JSON.parse(row.reward_inputs) as Record<string, unknown>)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`).join(", ");
  return [
    `#${index + 1}  step ${row.step}  ${row.prompt_id}  response ${row.sample + 1}  |  ${values.join("  |  ")}`,
    indent("prompt:", row.prompt),
    indent("reward read:", inputs),
    indent("completion:", row.completion),
  ].join("\n");
}

interface RolloutsFlags {
  step?: number | "all";
  sort?: SampleOrder;
  limit?: number;
  minReward?: number;
  maxReward?: number;
  minTokens?: number;
  maxTokens?: number;
  finish?: "stop" | "length";
  prompt?: string;
  json?: boolean;
}

function parseStep(value: string): number | "all" {
  if (value === "all") return "all";
  return numberOption("--step", (n) => Number.isInteger(n) && n > 0, "a step number or all")(value);
}

const anyNumber = (flag: string) => numberOption(flag, () => true, "a number");

export function register(program: Command, io: CliIO): void {
  program
    .command("rollouts")
    .description("show the samples a run kept (rollouts.sqlite): a step's best, worst or latest, filtered by reward, length or finish reason, or one prompt's history")
    .argument("<run>", "a run folder (or its rollouts.sqlite)")
    .option("--step <n|all>", "the rollout step (default: the newest stored; with --prompt, every step)", parseStep)
    .addOption(new Option("--sort <order>", "best: highest reward (then advantage) first; worst; latest: the last sampled first; sampled: in sampling order (default best; with --prompt, sampled)").choices(SAMPLE_ORDERS))
    .option("--limit <n>", "show at most n samples; 0: all (default 5; with --prompt, all)", nonNegativeInteger("--limit"))
    .option("--min-reward <x>", "only samples with at least this reward", anyNumber("--min-reward"))
    .option("--max-reward <x>", "only samples with at most this reward", anyNumber("--max-reward"))
    .option("--min-tokens <n>", "only completions of at least n tokens", nonNegativeInteger("--min-tokens"))
    .option("--max-tokens <n>", "only completions of at most n tokens", nonNegativeInteger("--max-tokens"))
    .addOption(new Option("--finish <reason>", "only completions that ended (stop) or were cut at maxNewTokens (length)").choices(["stop", "length"]))
    .option("--prompt <id>", "one prompt's samples at every step (its id, or the start of one)")
    .option("--json", "one JSON object per sample (every column of the table)")
    .action((run: string, flags: RolloutsFlags) => {
      const reader = RolloutReader.open(rolloutStorePath(run));
      try {
        const steps = reader.steps();
        if (steps === null) {
          io.stdout(`${reader.path}: no samples stored yet\n`);
          return;
        }
        const history = flags.prompt !== undefined;
        const limit = flags.limit ?? (history ? 0 : 5);
        const query: RolloutQuery = {
          step: flags.step ?? (history ? "all" : steps.last), promptId: flags.prompt, order: flags.sort ?? (history ? "sampled" : "best"),
          limit: limit === 0 ? undefined : limit, minReward: flags.minReward, maxReward: flags.maxReward,
          minTokens: flags.minTokens, maxTokens: flags.maxTokens, finishReason: flags.finish,
        };
        const rows = reader.query(query);
        if (flags.json) {
          io.stdout(rows.map((r) => `${JSON.stringify({ ...r, reward_inputs: JSON.parse(r.reward_inputs), fixed: JSON.parse(r.fixed) })}\n`).join(""));
          return;
        }
        const where = query.step === "all" ? `steps ${steps.first}-${steps.last}` : `step ${query.step} (stored: ${steps.first}-${steps.last})`;
        const lines = [`${reader.path}: ${where}, ${rows.length} sample${rows.length === 1 ? "" : "s"} shown (${query.order})`];
        if (typeof query.step === "number") {
          const s = reader.stepSummary(query.step);
          lines.push(`step ${query.step}: ${s.samples} samples, mean reward ${short(s.reward)}, mean length ${short(s.tokens)} tokens, ${(100 * s.truncated).toFixed(0)}% cut at the length limit`);
        }
        io.stdout(`${[lines.join("\n"), ...rows.map(describeSample)].join("\n\n")}\n`);
      } finally {
        reader.close();
      }
    });
}
