// The tasks by name: file tasks adapt downloaded data, built-in tasks generate
// their own problems and bring their own reward.
import type { RewardFn } from "../../rewards/types.js";
import { arithmeticTask } from "./arithmetic.js";
import { rewardOf, type AnyBuiltinTask } from "./builtin.js";
import { countdownTask } from "./countdown.js";
import { customTask } from "./custom.js";
import { gsm8kTask } from "./gsm8k.js";
import { mathTask } from "./math.js";
import type { FileTask } from "./task.js";

/** The tasks that read data files, by name (custom: rows with a prompt, for a reward given from code). */
export const FILE_TASKS: Readonly<Record<string, FileTask>> = { gsm8k: gsm8kTask, math: mathTask, custom: customTask };

/** The tasks that generate their own problems and need no data file, by name. */
export const BUILTIN_TASKS: Readonly<Record<string, AnyBuiltinTask>> = {
  arithmetic: arithmeticTask,
  countdown: countdownTask,
};

function known(): string {
  return [...Object.keys(FILE_TASKS), ...Object.keys(BUILTIN_TASKS)].join(", ");
}

/** True when `name` is a built-in task. */
export function isBuiltinTask(name: string): boolean {
  return name in BUILTIN_TASKS;
}

/** The file task of that name; throws naming the known ones when there is none. */
export function fileTask(name: string): FileTask {
  const task = FILE_TASKS[name];
  if (task !== undefined) return task;
  const hint = isBuiltinTask(name) ? ` ("${name}" is built in and reads no file)` : "";
  throw new Error(`unknown task "${name}" for a data file${hint}; tasks for files: ${Object.keys(FILE_TASKS).join(", ")}`);
}

/** The built-in task of that name; throws naming the known ones when there is none. */
export function builtinTask(name: string): AnyBuiltinTask {
  const task = BUILTIN_TASKS[name];
  if (task === undefined) throw new Error(`unknown built-in task "${name}"; built-in tasks: ${Object.keys(BUILTIN_TASKS).join(", ")} (all tasks: ${known()})`);
  return task;
}

/** The reward functions of the built-in tasks, by the name their examples carry in `reward`. */
export const BUILTIN_REWARDS: Readonly<Record<string, RewardFn>> = Object.fromEntries(
  Object.entries(BUILTIN_TASKS).map(([name, task]) => [name, rewardOf(task)]),
);
