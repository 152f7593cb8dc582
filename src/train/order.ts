// The order in which a run visits its training prompts: a seeded shuffle of
// the whole prompt set per epoch, batchSize prompts per rollout step. Every
// algorithm of a comparison draws from the same order; one that leaves some
// prompts out (A*-PO's filterAllWrong) skips them in that order, so its
// batches are the others' with those prompts removed.
import { shuffled } from "../data/index.js";
import type { PromptItem } from "./prompts.js";
import { derivedSeed } from "./seeds.js";

export class PromptOrder {
  private epoch = -1;
  private permutation: PromptItem[] = [];
  private position = 0;

  /** `keep`: the ids of the prompts to visit (default all). Starts at step `startStep`. */
  constructor(private readonly prompts: readonly PromptItem[], private readonly batchSize: number, private readonly seed: number,
    private readonly keep: ReadonlySet<string> | null = null, startStep = 0) {
    if (prompts.length === 0 || (keep !== null && !prompts.some((p) => keep.has(p.example.id)))) throw new Error("no training prompts to visit");
    for (let s = 0; s < startStep; s++) this.next();
  }

  /** The prompts of the next rollout step. */
  next(): PromptItem[] {
    const out: PromptItem[] = [];
    while (out.length < this.batchSize) {
      const at = this.position % this.prompts.length;
      if (at === 0 && Math.floor(this.position / this.prompts.length) !== this.epoch) {
        this.epoch = Math.floor(this.position / this.prompts.length);
        this.permutation = shuffled(this.prompts, derivedSeed(this.seed, "epoch", this.epoch));
      }
      const prompt = this.permutation[at];
      this.position++;
      if (this.keep === null || this.keep.has(prompt.example.id)) out.push(prompt);
    }
    return out;
  }

  /** Passes over the kept prompts so far. */
  get epochs(): number {
    return this.position / this.prompts.length;
  }
}
