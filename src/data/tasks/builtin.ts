// Built-in tasks: generated problems that need no download, with a reference
// solution for supervised warm-up and a checker for rewards. Every answer ends
// in a line `#### <answer>`, the format the reference solutions teach.
import type { RewardFn, RewardValue } from "../../rewards/types.js";
import { exampleId, shortHash, type Example } from "../example.js";
import { SeededRandom } from "../random.js";

/** One generated problem. */
export interface Problem {
  /** The question as the model reads it, instruction included. */
  prompt: string;
  /** The answer the checker expects, as written after `####`. */
  answer: string;
  /** Worked steps ending in the `#### <answer>` line. */
  solution: string;
  /** What the checker needs besides the response. */
  columns: Record<string, unknown>;
}

/** The value of a task knob: a number, or text for knobs like an operator set. */
export type KnobValue = number | string;

/** A task that generates its own problems (no download) and checks answers itself. */
export interface BuiltinTask<Config extends Record<string, KnobValue>> {
  /** The task's name, as `--task` takes it. */
  name: string;
  /** One line for help texts and listings. */
  description: string;
  /** Every knob's default; a knob not here does not exist. */
  defaults: Readonly<Config>;
  /** What each knob means, for help texts and docs. */
  knobs: Readonly<Record<keyof Config, string>>;
  /** Checks a config, throwing with the knob's name when a value is out of range. */
  validate(config: Config): void;
  /** Draws one problem; the same random state and config give the same problem. */
  generate(random: SeededRandom, config: Readonly<Config>): Problem;
  /** Scores one finished response: 1 right, 0 wrong, null when it has no parseable answer. */
  check(response: string, columns: Readonly<Record<string, unknown>>): RewardValue;
}

/** A built-in task with its config type erased, as the registry holds it. */
export type AnyBuiltinTask = BuiltinTask<Record<string, KnobValue>>;

/** The text after the first `####` of a response, up to the end of its line; null when there is none. */
export function markedAnswer(response: string): string | null {
  const marked = /####([^\n]*)/.exec(response);
  if (marked === null) return null;
  const text = marked[1].trim();
  return text === "" ? null : text;
}

/** A reward function from a per-response checker; responses cut at the length limit score 0. */
export function rewardFromChecker(check: (response: string, columns: Readonly<Record<string, unknown>>) => RewardValue): RewardFn {
  return ({ completions, columns }) => completions.map((completion, i) => (completion.finished ? check(completion.text, columns[i] ?? {}) : 0));
}

/** A task's checker as a reward function (responses cut at the length limit score 0). */
export function rewardOf<Config extends Record<string, KnobValue>>(task: BuiltinTask<Config>): RewardFn {
  return rewardFromChecker((response, columns) => task.check(response, columns));
}

/** An integer knob in [min, max], or an error naming the knob. */
export function checkIntegerKnob(task: string, name: string, value: KnobValue, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${task}: "${name}" must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
}

/**
 * The task's defaults with the given knobs replaced. Values given as text (from
 * a command line) become numbers where the default is a number.
 */
export function configure<Config extends Record<string, KnobValue>>(task: BuiltinTask<Config>, overrides: Readonly<Record<string, KnobValue>> = {}): Config {
  const config: Record<string, KnobValue> = { ...task.defaults };
  for (const [name, value] of Object.entries(overrides)) {
    if (!(name in task.defaults)) {
      throw new Error(`${task.name}: unknown knob "${name}" (knobs: ${Object.keys(task.defaults).join(", ")})`);
    }
    const asNumber = typeof task.defaults[name] === "number" && typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
    config[name] = Number.isNaN(asNumber) ? value : asNumber;
  }
  task.validate(config as Config);
  return config as Config;
}

/** Which examples builtinExamples gives. */
export interface BuiltinStreamOptions {
  /** Knob values over the task's defaults. */
  config?: Readonly<Record<string, KnobValue>>;
  /** Fixes the stream: the same seed and config give the same problems (default 0). */
  seed?: number;
  /**
   * Problems are split by a hash of their prompt, so that no test prompt is
   * ever a training prompt, whatever the seeds. Default "train".
   */
  split?: "train" | "test";
  /** The share of all possible prompts that belongs to the test split (default 0.1). */
  testFraction?: number;
  /** Skip prompts already given; the stream ends when 1000 draws in a row bring nothing new. */
  unique?: boolean;
}

const EXHAUSTED_AFTER = 1000;

function inTestSplit(prompt: string, testFraction: number): boolean {
  return parseInt(shortHash(`split:${prompt}`).slice(0, 8), 16) / 2 ** 32 < testFraction;
}

/** An endless (or, with `unique`, exhaustive) seeded stream of a built-in task's examples. */
export function* builtinExamples<Config extends Record<string, KnobValue>>(
  task: BuiltinTask<Config>,
  options: BuiltinStreamOptions = {},
): Generator<Example> {
  const config = configure(task, options.config);
  const seed = options.seed ?? 0;
  const split = options.split ?? "train";
  const testFraction = options.testFraction ?? 0.1;
  if (!(testFraction > 0 && testFraction < 1)) throw new Error(`${task.name}: testFraction must be between 0 and 1, got ${testFraction}`);
  const random = new SeededRandom(seed);
  const seen = new Set<string>();
  const file = `<${task.name} seed=${seed} split=${split}>`;
  let misses = 0;
  for (let row = 0; misses < EXHAUSTED_AFTER; ) {
    const problem = task.generate(random, config);
    if (inTestSplit(problem.prompt, testFraction) !== (split === "test") || (options.unique === true && seen.has(problem.prompt))) {
      misses++;
      continue;
    }
    misses = 0;
    if (options.unique === true) seen.add(problem.prompt);
    yield {
      id: exampleId(task.name, row, problem.prompt),
      prompt: problem.prompt,
      answer: problem.answer,
      solution: problem.solution,
      columns: problem.columns,
      reward: task.name,
      source: { file, row },
    };
    row++;
  }
}
