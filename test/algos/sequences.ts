// Rollout sequences for loss tests, with only the fields a test cares about given.
import type { RolloutSequence } from "../../src/algos/index.js";

export function rolloutSequence(fields: Partial<RolloutSequence> & { length?: number }): RolloutSequence {
  const length = fields.length ?? fields.responseIds?.length ?? 1;
  return {
    group: 0, promptId: "p", promptIds: [1], responseIds: Array.from({ length }, () => 2), finished: true, text: "",
    sampledLogprobs: new Float32Array(length), reward: 0, rawReward: 0, refLogprobs: null, vHat: null, fixed: {}, perToken: {},
    ...fields,
  };
}
