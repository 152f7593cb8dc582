// The algorithms by name. Each is one file holding only what differs: what a
// rollout must hold, and a loss over a batch.
import { astar } from "./astar.js";
import type { Algorithm } from "./types.js";

export const ALGORITHMS: Readonly<Record<string, Algorithm<any>>> = { astar };

export function algorithm(name: string): Algorithm<any> {
  const found = ALGORITHMS[name];
  if (found === undefined) throw new Error(`unknown algorithm "${name}" (have ${Object.keys(ALGORITHMS).join(", ")})`);
  return found;
}

export { astar, astarOptions, optimalValue, VALUE_MODES, type AstarOptions, type ValueMode } from "./astar.js";
export type { Algorithm, LossInput, LossOutput, RolloutBatch, RolloutSequence } from "./types.js";
