// The entropy every algorithm reports (the mean over the optimizer step's
// response tokens of each token's distribution's entropy), and the optional
// bonus on it that A*-PO's authors and TRL's GRPO trainer offer.
import { z } from "zod";
import { mul, scale, sub, sum, type Tensor } from "../tensor/index.js";
import type { LossInput } from "./types.js";

export const entropyCoef = z.number().min(0).default(0)
  .describe("astar/grpo: bonus on the mean token entropy, subtracted from the loss (TRL's entropy_coef; A*-PO's authors use 0.001, its paper none)");

/** This micro-batch's share of the step's mean token entropy. */
export function entropyShare(input: LossInput): number {
  return sum(mul(input.entropy, input.mask)).item() / input.step.tokens;
}

/**
 * `loss` less `coef` times this micro-batch's share of the step's mean token entropy (on the tape), and
 * that share (as entropyShare gives it), from one sum.
 */
export function withEntropyBonus(loss: Tensor, input: LossInput, coef: number): { loss: Tensor; entropy: number } {
  const entropySum = sum(mul(input.entropy, input.mask));
  return {
    loss: coef > 0 ? sub(loss, scale(entropySum, coef / input.step.tokens)) : loss,
    entropy: entropySum.item() / input.step.tokens,
  };
}
