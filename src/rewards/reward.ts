// Building reward functions the same way everywhere: from a per-completion
// function, and as a weighted sum of several. A null value means "does not
// apply to this completion"; it is never silently turned into a number here.
import type { ChatMessage, Completion, RewardBatch, RewardFn, RewardValue } from "./types.js";

/**
 * The reward of one completion, given its row's other columns, its prompt and its index in the
 * batch. An async one gets `signal`, aborted when its time is up or another item failed, so that
 * it can cancel what it waits for (a `fetch`, a child process).
 */
export type ItemReward = (
  completion: Completion,
  columns: Readonly<Record<string, unknown>>,
  prompt: string | readonly ChatMessage[],
  index: number,
  signal: AbortSignal,
) => RewardValue | Promise<RewardValue>;

/** How rewardPerItem runs its items; each option left out takes its ITEM_REWARD_DEFAULTS value. */
export interface ItemRewardOptions {
  /** Names the reward in errors (default "reward"). */
  name?: string;
  /** Async items in flight at once, per batch (default 16). */
  concurrency?: number;
  /** Milliseconds an async item may take (default 60,000). */
  timeoutMs?: number;
  /** What an item past its time gets: an error that stops the batch (default), or null (undecided, scored 0 in training). */
  onTimeout?: "error" | "null";
}

/** rewardPerItem's defaults: 16 async items at once, each within 60 s, an item past its time failing the batch. */
export const ITEM_REWARD_DEFAULTS = {
  /** The name errors give the reward. */
  name: "reward",
  /** Async items in flight at once, per batch. */
  concurrency: 16,
  /** Milliseconds an async item may take. */
  timeoutMs: 60_000,
  /** An item past its time fails the batch. */
  onTimeout: "error",
} as const;

/** Checks that a batch's arrays line up; a mismatch is a caller bug worth a clear message. */
export function checkBatch(batch: RewardBatch): void {
  const n = batch.completions.length;
  if (batch.prompts.length !== n || batch.columns.length !== n || (batch.ids !== undefined && batch.ids.length !== n)) {
    throw new Error(`reward batch: ${n} completions but ${batch.prompts.length} prompts, ${batch.columns.length} column rows` +
      (batch.ids !== undefined ? ` and ${batch.ids.length} ids` : ""));
  }
}

function checkItemOptions(options: ItemRewardOptions): Required<ItemRewardOptions> {
  const resolved = { ...ITEM_REWARD_DEFAULTS, ...options };
  if (!(Number.isInteger(resolved.concurrency) && resolved.concurrency > 0)) throw new Error(`${resolved.name}: concurrency must be a positive integer, got ${resolved.concurrency}`);
  if (!(resolved.timeoutMs > 0)) throw new Error(`${resolved.name}: timeoutMs must be > 0, got ${resolved.timeoutMs}`);
  if (resolved.onTimeout !== "error" && resolved.onTimeout !== "null") throw new Error(`${resolved.name}: onTimeout must be "error" or "null", got ${String(resolved.onTimeout)}`);
  return resolved;
}

/** "completion 3 (prompt gsm8k:12:ab12cd34ef56)": which item of a batch failed. */
function itemName(batch: RewardBatch, index: number): string {
  const id = batch.ids?.[index];
  return `completion ${index}${id !== undefined ? ` (prompt ${id})` : ""}`;
}

class ItemError extends Error {
  constructor(name: string, batch: RewardBatch, index: number, what: string, cause?: unknown) {
    super(`${name}: ${itemName(batch, index)} ${what}`, { cause });
    this.name = "RewardError";
  }
}

const isPromise = (value: unknown): value is Promise<RewardValue> => value instanceof Promise;

/**
 * A RewardFn from a per-completion function. It stays synchronous while the function is; async
 * items run `concurrency` at a time, each within `timeoutMs`. An item that throws or rejects
 * fails the batch with an error naming it (its index and prompt id).
 */
export function rewardPerItem(fn: ItemReward, options: ItemRewardOptions = {}): RewardFn {
  const o = checkItemOptions(options);
  return (batch) => {
    checkBatch(batch);
    const values: RewardValue[] = new Array(batch.completions.length);
    const controllers: AbortController[] = [];
    const call = (i: number): RewardValue | Promise<RewardValue> => {
      controllers[i] = new AbortController();
      try {
        return fn(batch.completions[i], batch.columns[i], batch.prompts[i], i, controllers[i].signal);
      } catch (error) {
        throw new ItemError(o.name, batch, i, `threw: ${error instanceof Error ? error.message : String(error)}`, error);
      }
    };
    for (let i = 0; i < values.length; i++) {
      const value = call(i);
      if (isPromise(value)) return finishAsync(batch, values, i, value, call, controllers, o);
      values[i] = value;
    }
    return values;
  };
}

/** The rest of a batch once an item turned out async: at most `concurrency` items in flight, each with its timer. */
async function finishAsync(batch: RewardBatch, values: RewardValue[], first: number, firstValue: Promise<RewardValue>,
  call: (i: number) => RewardValue | Promise<RewardValue>, controllers: AbortController[], o: Required<ItemRewardOptions>): Promise<RewardValue[]> {
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;
  const track = (i: number, pending: Promise<RewardValue>): void => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<RewardValue>((resolve, reject) => {
      timer = setTimeout(() => {
        controllers[i].abort();
        if (o.onTimeout === "null") resolve(null);
        else reject(new ItemError(o.name, batch, i, `took longer than ${o.timeoutMs} ms (timeoutMs)`));
      }, o.timeoutMs);
    });
    const settled: Promise<void> = Promise.race([pending, timeout]).then(
      (value) => { values[i] = value; },
      (error) => { failure ??= error instanceof ItemError ? error : new ItemError(o.name, batch, i, `failed: ${error instanceof Error ? error.message : String(error)}`, error); },
    ).finally(() => {
      clearTimeout(timer);
      inFlight.delete(settled);
    });
    inFlight.add(settled);
  };
  try {
    track(first, firstValue);
    for (let i = first + 1; i < values.length && failure === null; i++) {
      while (inFlight.size >= o.concurrency && failure === null) await Promise.race(inFlight);
      if (failure !== null) break;
      const value = call(i);
      if (isPromise(value)) track(i, value);
      else values[i] = value;
    }
    while (inFlight.size > 0 && failure === null) await Promise.race(inFlight);
  } catch (error) {
    failure ??= error;
  }
  if (failure !== null) {
    // Items still running are told to stop, and awaited, so that none outlives the batch.
    controllers.forEach((c) => c.abort());
    await Promise.allSettled(inFlight);
    throw failure;
  }
  return values;
}

/** Runs a reward function and checks its output: one finite number or null per completion. */
export async function scoreBatch(fn: RewardFn, batch: RewardBatch, name = "reward"): Promise<RewardValue[]> {
  const values = await fn(batch);
  if (!Array.isArray(values) || values.length !== batch.completions.length) {
    throw new Error(`${name}: returned ${Array.isArray(values) ? values.length : typeof values} values for ${batch.completions.length} completions`);
  }
  values.forEach((v, i) => {
    if (v !== null && (typeof v !== "number" || !Number.isFinite(v))) {
      throw new Error(`${name}: value ${String(v)} at ${itemName(batch, i)} is neither a finite number nor null`);
    }
  });
  return values;
}

/** One part of a combined reward. */
export interface WeightedReward {
  /** The part's reward function. */
  fn: RewardFn;
  /** Its factor in the sum (any finite number; negative for a penalty). */
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
