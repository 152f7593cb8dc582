// Timing for benchmarks on a shared, noisy machine: warm up, then take the
// median of several repetitions, each long enough to dwarf the clock.
import { native } from "../../src/tensor/native.js";

export interface Timing {
  /** Median seconds of one call. */
  median: number;
  /** Fastest repetition's seconds per call. */
  best: number;
}

/** Seconds since some fixed point. */
export type Clock = () => number;

export const wallClock: Clock = () => performance.now() / 1000;

/**
 * Seconds of CPU time this process has used. On a machine shared with other
 * processes, wall time also counts the time the scheduler gave to them; with
 * one native thread (ASTARPO_THREADS=1) CPU time counts only the work.
 */
export const cpuClock: Clock = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/**
 * Times `fn` on `clock`: `warmup` untimed calls, then `reps` repetitions of as
 * many calls as fill about `minRepSeconds` (at least one).
 */
export function timeCalls(fn: () => void, reps = 7, minRepSeconds = 0.02, warmup = 2, clock: Clock = wallClock): Timing {
  for (let i = 0; i < warmup; i++) fn();
  const t0 = clock();
  fn();
  const once = Math.max(1e-9, clock() - t0);
  const calls = Math.max(1, Math.ceil(minRepSeconds / once));
  const perCall: number[] = [];
  for (let r = 0; r < reps; r++) {
    const start = clock();
    for (let i = 0; i < calls; i++) fn();
    perCall.push((clock() - start) / calls);
  }
  perCall.sort((x, y) => x - y);
  return { median: perCall[Math.floor(perCall.length / 2)], best: perCall[0] };
}

export interface FmaPeak {
  /** GFLOP/s of wall time. */
  perWallSecond: number;
  /** GFLOP per second of this process's CPU time (about one core's peak, however many threads ran). */
  perCpuSecond: number;
}

/** The FMA loop on every pool thread for about `ms` milliseconds (native.peakFlops), per wall and per CPU second. */
export function fmaPeak(ms = 150): FmaPeak {
  const wall = wallClock(), cpu = cpuClock();
  const perWallSecond = native.peakFlops(ms) as number;
  return { perWallSecond, perCpuSecond: (perWallSecond * (wallClock() - wall)) / (cpuClock() - cpu) };
}
