// Drawing one token from a next-token distribution after the top-k, top-p and
// min-p filters (applied in that order, as transformers and vLLM do), each
// renormalising what it keeps, on the host. Greedy and unfiltered draws run on
// the device (Backend.sampleRows); these are for filtered ones.
import type { Rng } from "../tensor/index.js";

/** The filters that narrow the distribution a token is drawn from. */
export interface SamplingFilters {
  /** Keep the topK most likely tokens (0 = off). */
  topK: number;
  /** Keep the most likely tokens whose mass reaches topP of what top-k kept (1 = off). */
  topP: number;
  /** Drop tokens below minP times the most likely token's probability (0 = off). */
  minP: number;
}

/** Filters that keep every token. */
export const NO_FILTERS: SamplingFilters = { topK: 0, topP: 1, minP: 0 };

function maxOf(probs: Float32Array): number {
  let m = 0;
  for (let i = 0; i < probs.length; i++) if (probs[i] > m) m = probs[i];
  return m;
}

function sumOf(probs: Float32Array, ids: Int32Array | null): number {
  let s = 0;
  if (ids === null) for (let i = 0; i < probs.length; i++) s += probs[i];
  else for (let i = 0; i < ids.length; i++) s += probs[ids[i]];
  return s;
}

/** Ids with probability >= cutoff, most likely first (lower ids first on ties). */
function sortedAbove(probs: Float32Array, cutoff: number): Int32Array {
  const ids: number[] = [];
  for (let i = 0; i < probs.length; i++) if (probs[i] >= cutoff) ids.push(i);
  ids.sort((a, b) => probs[b] - probs[a] || a - b);
  return Int32Array.from(ids);
}

/**
 * The most likely tokens in order, as far as top-k and top-p keep them. Sorting
 * all of a large vocabulary is slow, so only tokens above a cutoff are sorted;
 * every token below it is less likely than all sorted ones, so the sorted list
 * is the start of the full order, and the cutoff is lowered until that start
 * is long enough to decide both filters.
 */
function topKTopPPrefix(probs: Float32Array, topK: number, topP: number, pmax: number): Int32Array {
  const vocab = probs.length;
  const k = topK > 0 ? Math.min(topK, vocab) : vocab;
  const total = topK > 0 ? 0 : sumOf(probs, null);
  for (let cutoff = pmax / 64; ; cutoff = cutoff > 1e-30 ? cutoff / 64 : 0) {
    const sorted = sortedAbove(probs, cutoff);
    const complete = sorted.length === vocab || cutoff === 0;
    if (sorted.length < k && !complete) continue;
    const prefix = sorted.subarray(0, k);
    if (topP >= 1) return prefix;
    const base = topK > 0 ? sumOf(probs, prefix) : total;
    let mass = 0;
    for (let n = 0; n < prefix.length; n++) {
      mass += probs[prefix[n]];
      if (mass >= topP * base) return prefix.subarray(0, n + 1);
    }
    if (complete || topK > 0) return prefix;
  }
}

function filtersByRank(filters: SamplingFilters, vocab: number): boolean {
  return (filters.topK > 0 && filters.topK < vocab) || filters.topP < 1;
}

/** Whether the filters keep every token of a vocabulary this large (then a draw needs no sorting at all). */
export function keepsEveryToken(filters: SamplingFilters, vocab: number): boolean {
  return !filtersByRank(filters, vocab) && filters.minP <= 0;
}

/** The token ids the filters keep (null: all of them, when no filter is on). */
export function keptTokens(probs: Float32Array, filters: SamplingFilters): Int32Array | null {
  const vocab = probs.length;
  if (keepsEveryToken(filters, vocab)) return null;
  const byRank = filtersByRank(filters, vocab);
  const pmax = maxOf(probs);
  const floor = filters.minP > 0 ? filters.minP * pmax : 0;
  if (!byRank) {
    const ids: number[] = [];
    for (let i = 0; i < vocab; i++) if (probs[i] >= floor) ids.push(i);
    return Int32Array.from(ids);
  }
  const prefix = topKTopPPrefix(probs, filters.topK, filters.topP, pmax);
  return floor > 0 ? prefix.filter((id) => probs[id] >= floor) : prefix;
}

/** Draws from `probs` (a distribution over the vocabulary) after the filters, renormalised; one uniform from `rng`. */
export function sampleToken(probs: Float32Array, filters: SamplingFilters, rng: Rng): number {
  const ids = keptTokens(probs, filters);
  const mass = sumOf(probs, ids);
  if (!(mass > 0) || !Number.isFinite(mass)) throw new Error(`sampleToken: the distribution has no finite mass (sum ${mass}); the logits are not finite`);
  const target = rng.uniform() * mass;
  let cumulative = 0, last = -1;
  const count = ids === null ? probs.length : ids.length;
  for (let n = 0; n < count; n++) {
    const id = ids === null ? n : ids[n];
    if (probs[id] <= 0) continue;
    cumulative += probs[id];
    last = id;
    if (cumulative > target) return id;
  }
  // Rounding left the target just past the summed mass: the last token with mass takes it.
  return last;
}

/** The seed of sequence `index` of a run seeded with `seed`: independent streams, the same whatever the batch. */
export function sequenceSeed(seed: number, index: number): number {
  const low = seed >>> 0, high = Math.floor(seed / 4294967296) >>> 0;
  let h = Math.imul(low ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(high + 0x632be5ab, 0x27d4eb2f) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}
