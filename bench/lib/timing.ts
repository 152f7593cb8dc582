// Timing for benchmarks on a shared, noisy machine: warm up, then take the
// median of several repetitions, each long enough to dwarf the clock.

export interface Timing {
  /** Median seconds of one call. */
  median: number;
  /** Fastest repetition's seconds per call. */
  best: number;
}

/**
 * Times `fn`: `warmup` untimed calls, then `reps` repetitions of as many calls
 * as fill about `minRepSeconds` (at least one).
 */
export function timeCalls(fn: () => void, reps = 7, minRepSeconds = 0.02, warmup = 2): Timing {
  for (let i = 0; i < warmup; i++) fn();
  const t0 = process.hrtime.bigint();
  fn();
  const once = Math.max(1e-9, Number(process.hrtime.bigint() - t0) / 1e9);
  const calls = Math.max(1, Math.ceil(minRepSeconds / once));
  const perCall: number[] = [];
  for (let r = 0; r < reps; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn();
    perCall.push(Number(process.hrtime.bigint() - start) / 1e9 / calls);
  }
  perCall.sort((x, y) => x - y);
  return { median: perCall[Math.floor(perCall.length / 2)], best: perCall[0] };
}
