// The entropy metric every algorithm reports: the mean over the optimizer
// step's response tokens of each token's distribution's entropy.
import { mul, sum } from "../tensor/index.js";
import type { LossInput } from "./types.js";

/** This micro-batch's share of the step's mean token entropy. */
export function entropyShare(input: LossInput): number {
  return sum(mul(input.entropy, input.mask)).item() / input.step.tokens;
}
