// A small rollout store for tests: two prompts with two responses each, the same rows every step but for the advantages.
import type { RolloutBatch } from "../../src/algos/index.js";
import type { PromptItem } from "../../src/train/prompts.js";
import { RolloutStore } from "../../src/train/rollout-store.js";
import { rolloutSequence } from "../algos/sequences.js";

function prompt(id: string, text: string, answer: string): PromptItem {
  return { example: { id, prompt: text, answer, columns: { answer }, reward: "arithmetic", source: { file: "<test>", row: 0 } }, text: `${text}\n`, ids: [1, 2, 3] };
}

/** Two prompts with two responses each; `offset` shifts the rewards so steps differ. */
export function sampleBatch(offset: number): RolloutBatch {
  return {
    groups: 2,
    sequences: [
      rolloutSequence({ group: 0, promptId: "arithmetic:0:aaa", reward: 1, rawReward: 1, text: "#### 5", length: 3, fixed: { advantage: 0.5 + offset } }),
      rolloutSequence({ group: 0, promptId: "arithmetic:0:aaa", reward: 0, rawReward: null, text: "no answer", length: 6, finished: false, fixed: { advantage: -0.5 } }),
      rolloutSequence({ group: 1, promptId: "arithmetic:1:bbb", reward: 0, rawReward: 0, text: "#### 7", length: 2, fixed: { advantage: 0 },
        sampledLogprobs: Float32Array.from([-1, -3]), refLogprobs: Float32Array.from([-2, -2]) }),
      rolloutSequence({ group: 1, promptId: "arithmetic:1:bbb", reward: 1, rawReward: 1, text: "#### 6", length: 2, fixed: { advantage: offset } }),
    ],
  };
}

export const samplePrompts = [prompt("arithmetic:0:aaa", "2+3 = ?", "5"), prompt("arithmetic:1:bbb", "2*3 = ?", "6")];

/** Writes `steps` steps of the sample batch to `path` as run `run` of `algo`. */
export function writeSampleStore(path: string, steps: number, run = "demo", algo = "grpo"): void {
  const store = RolloutStore.open(path, run, algo);
  for (let step = 1; step <= steps; step++) store.write(step, sampleBatch(step - 1), samplePrompts);
  store.close();
}
