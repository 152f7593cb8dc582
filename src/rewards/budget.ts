// A per-check work budget: parsing, exact arithmetic and point evaluation
// tick it inside their loops, so a pathological answer (a 10^6-digit power, a
// huge factorial, a long expression) ends the check with a null verdict
// instead of stalling a training step. No signals, no worker thread.

/** The limits of one verification's work budget; see DEFAULT_BUDGET. */
export interface BudgetLimits {
  /** Abstract work units (about one per parsed token, evaluated node, or 64 bits of exact arithmetic). */
  maxSteps: number;
  /** Wall-clock limit in milliseconds, checked every 256 units. */
  maxMs: number;
}

/**
 * The step limit is the deterministic bound (at most a few tens of
 * milliseconds of work); the clock is only a safety net, loose enough that a
 * GC pause or a busy machine does not turn a verdict into null.
 */
export const DEFAULT_BUDGET: BudgetLimits = { maxSteps: 200_000, maxMs: 1000 };

export class BudgetExceeded extends Error {
  constructor(what: string) {
    super(`verification budget exhausted (${what})`);
  }
}

/**
 * The work budget of one check: parsing and evaluation tick it, and it throws
 * BudgetExceeded once the steps or the time run out.
 */
export class Budget {
  private steps: number;
  private readonly deadline: number;
  private readonly maxSteps: number;
  private sinceClock = 0;

  constructor(limits: BudgetLimits = DEFAULT_BUDGET) {
    this.steps = limits.maxSteps;
    this.maxSteps = limits.maxSteps;
    this.deadline = performance.now() + limits.maxMs;
  }

  /** Work units spent so far (whole units). */
  get used(): number {
    return Math.ceil(this.maxSteps - this.steps);
  }

  /** Spends `units` of work; throws BudgetExceeded past the step limit or, checked every 256 units, the deadline. */
  tick(units = 1): void {
    this.steps -= units;
    if (this.steps < 0) throw new BudgetExceeded("step limit");
    this.sinceClock += units;
    if (this.sinceClock >= 256) {
      this.sinceClock = 0;
      if (performance.now() > this.deadline) throw new BudgetExceeded("time limit");
    }
  }
}
