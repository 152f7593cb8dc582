// Seeded choices for shuffles, splits and the built-in tasks, on the tensor
// layer's generator (xoshiro128** seeded by splitmix32), so the same seed gives
// the same order on every machine and Node version.
import { Rng } from "../tensor/random.js";

/** Seeded random choices that give the same sequence for a seed on every machine. */
export class SeededRandom {
  private readonly rng: Rng;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
    this.rng = new Rng(seed);
  }

  /** A uniform integer in [0, n), without the bias of scaling a float. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) throw new Error(`nextInt: n must be an integer in 1..2^32, got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = this.rng.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** A uniform integer in [low, high]. */
  intBetween(low: number, high: number): number {
    return low + this.nextInt(high - low + 1);
  }

  /** One of `items`, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[this.nextInt(items.length)];
  }

  /** Puts `items` in a random order, in place (Fisher-Yates). */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

/** A copy of `items` in a random order fixed by `seed`. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  return new SeededRandom(seed).shuffle([...items]);
}
