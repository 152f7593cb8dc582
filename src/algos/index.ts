// The algorithms by name. Each is one file holding only what differs: what a
// rollout must hold, and a loss over a batch.
import { astar } from "./astar.js";
import { grpo } from "./grpo.js";
import { ppo } from "./ppo.js";
import { rebel } from "./rebel.js";
import { rloo } from "./rloo.js";
import type { Algorithm } from "./types.js";

export const ALGORITHMS: Readonly<Record<string, Algorithm<any, any>>> = { astar, grpo, ppo, rebel, rloo };

export function algorithm(name: string): Algorithm<any, any> {
  const found = ALGORITHMS[name];
  if (found === undefined) throw new Error(`unknown algorithm "${name}" (have ${Object.keys(ALGORITHMS).join(", ")})`);
  return found;
}

export { astar, astarOptions, optimalValue, VALUE_MODES, type AstarOptions, type ValueMode } from "./astar.js";
export { grpo, grpoOptions, SCALE_REWARDS, type GrpoOptions } from "./grpo.js";
export { ppo, ppoOptions, gae, Critic, criticBody, type PpoOptions } from "./ppo.js";
export { rebel, rebelOptions, type RebelOptions } from "./rebel.js";
export { rloo, rlooOptions, type RlooOptions } from "./rloo.js";
export { LOSS_TYPES, IMPORTANCE_LEVELS, sequenceKl, sequenceSum, type LossType, type ImportanceLevel } from "./policy-gradient.js";
export type { Algorithm, AlgorithmState, HeldOutSample, LossInput, LossOutput, RolloutBatch, RolloutSequence } from "./types.js";
