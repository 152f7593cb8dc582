// Building reward functions the same way everywhere: from a per-completion
// function, and as a weighted sum of several. A null value means "does not
// apply to this completion"; it is never silently turned into a number here.
import type { ChatMessage, Completion, RewardBatch, RewardFn, RewardValue } from "./types.js";

/** The reward of one completion, given its row's other columns, its prompt and its index in the batch. */
export type ItemReward = (
  completion: Completion,
  columns: Readonly<Record<string, unknown>>,
  prompt: string | readonly ChatMessage[],
  index: number,
) => RewardValue | Promise<RewardValue>;

/** Checks that a batch's arrays line up; a mismatch is a caller bug worth a clear message. */
export function checkBatch(batch: RewardBatch): void {
  const n = batch.completions.length;
  if (batch.prompts.length !== n || batch.columns.length !== n) {
    throw new Error(`reward batch: ${n} completions but ${batch.prompts.length} prompts and ${batch.columns.length} column rows`);
  }
}

/** A RewardFn from a per-completion function; it stays synchronous when the function is. */
export function rewardPerItem(fn: ItemReward): RewardFn {
  return (batch) => {
    checkBatch(batch);
    const values = batch.completions.map((c, i) => fn(c, batch.columns[i], batch.prompts[i], i));
    return values.some((v) => v instanceof Promise) ? Promise.all(values) : (values as RewardValue[]);
  };
}

/** Runs a reward function and checks its output: one finite number or null per completion. */
export async function scoreBatch(fn: RewardFn, batch: RewardBatch, name = "reward"): Promise<RewardValue[]> {
  const values = await fn(batch);
  if (!Array.isArray(values) || values.length !== batch.completions.length) {
    throw new Error(`${name}: returned ${Array.isArray(values) ? values.length : typeof values} values for ${batch.completions.length} completions`);
  }
  values.forEach((v, i) => {
    if (v !== null && (typeof v !== "number" || !Number.isFinite(v))) {
      throw new Error(`${name}: value ${String(v)} at completion ${i} is neither a finite number nor null`);
    }
  });
  return values;
}

export interface WeightedReward {
  fn: RewardFn;
  weight: number;
  /** Names the component in error messages. */
  name?: string;
}

/**
 * The weighted sum of several rewards. Per completion, components that
 * return null are left out (their weight is not redistributed); when all are
 * null the result is null.
 */
export function combineRewards(parts: readonly WeightedReward[]): RewardFn {
  if (parts.length === 0) throw new Error("combineRewards: no reward functions given");
  parts.forEach((p, i) => {
    if (!Number.isFinite(p.weight)) throw new Error(`combineRewards: weight of ${p.name ?? `reward ${i}`} is ${p.weight}`);
  });
  return async (batch) => {
    checkBatch(batch);
    const results = await Promise.all(parts.map((p, i) => scoreBatch(p.fn, batch, p.name ?? `reward ${i}`)));
    return batch.completions.map((_, j) => {
      let total: number | null = null;
      results.forEach((values, i) => {
        const v = values[j];
        if (v !== null) total = (total ?? 0) + parts[i].weight * v;
      });
      return total;
    });
  };
}
