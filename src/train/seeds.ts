// Every random choice of a run comes from a seed derived from the run's seed
// and where the choice is made (stage 1 sample j of prompt x; rollout step s),
// never from a generator whose state would have to be saved: a resumed run,
// or a prompt sampled in another batch, draws exactly what it drew before.
import { createHash } from "node:crypto";

/** A 32-bit seed from the run's seed and the parts that name the use. */
export function derivedSeed(seed: number, ...parts: ReadonlyArray<string | number>): number {
  return parseInt(createHash("sha256").update([seed, ...parts].join("\u0000")).digest("hex").slice(0, 8), 16);
}
