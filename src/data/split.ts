// Train/test splits: by a seeded shuffle, or by a file that lists the test
// examples. Both are deterministic, so a run and its evaluation agree on the split.
import { readFile } from "node:fs/promises";
import { DataError } from "./errors.js";
import type { Example } from "./example.js";
import { shuffled } from "./random.js";

/** Items divided into a train and a test split. */
export interface Split<T> {
  /** The items to train on. */
  train: T[];
  /** The held-out items. */
  test: T[];
}

/** How splitBySeed divides items. */
export interface SeededSplitOptions {
  /** Fixes the shuffle, so the same seed gives the same split. */
  seed: number;
  /** The share of items for the test split, in (0, 1) (default 0.1). */
  testFraction?: number;
  /** The number of items for the test split; overrides testFraction. */
  testSize?: number;
}

/** Shuffles by `seed`, then takes the test split from the front. Order within each split is the shuffled order. */
export function splitBySeed<T>(items: readonly T[], options: SeededSplitOptions): Split<T> {
  const { testFraction, testSize } = options;
  let size: number;
  if (testSize !== undefined) {
    if (!Number.isInteger(testSize) || testSize < 0 || testSize > items.length) {
      throw new Error(`testSize must be an integer from 0 to ${items.length} (the number of items), got ${testSize}`);
    }
    size = testSize;
  } else {
    const fraction = testFraction ?? 0.1;
    if (!(fraction > 0 && fraction < 1)) throw new Error(`testFraction must be between 0 and 1, got ${fraction}`);
    size = Math.round(items.length * fraction);
  }
  const order = shuffled(items, options.seed);
  return { test: order.slice(0, size), train: order.slice(size) };
}

/**
 * The entries of a split file: one per line, each an example id
 * (`gsm8k:12:3f2a...`) or a 0-based row index; blank lines and lines starting
 * with `#` are ignored.
 */
export async function readSplitFile(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new DataError({ file }, `cannot read: ${(error as Error).message}`);
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/**
 * Puts each example listed (by id or by row index) in the test split and the
 * others in train. Entries that match no example are returned, so that a stale
 * split file is noticed rather than silently shrinking the test split.
 */
export function splitByList(examples: readonly Example[], entries: readonly string[]): Split<Example> & {
  /** Entries of the list that matched no example. */
  unmatched: string[];
} {
  const wanted = new Set(entries);
  const matched = new Set<string>();
  const split: Split<Example> = { train: [], test: [] };
  for (const example of examples) {
    const row = String(example.source.row);
    const key = wanted.has(example.id) ? example.id : wanted.has(row) ? row : null;
    if (key === null) {
      split.train.push(example);
    } else {
      matched.add(key);
      split.test.push(example);
    }
  }
  return { ...split, unmatched: entries.filter((entry) => !matched.has(entry)) };
}
