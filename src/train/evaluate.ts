// Greedy accuracy on held-out examples, scored by the task's reward function.
import type { Example } from "../data/index.js";
import { generate } from "../generate/index.js";
import type { DecoderModel } from "../models/index.js";
import type { RewardFn } from "../rewards/types.js";
import type { Tokenizer } from "../tokenize/index.js";
import { plainPrompt } from "./sft.js";

export interface EvalResult {
  /** mean reward, counting unparseable answers (null) as wrong */
  accuracy: number;
  /** responses the checker could not read an answer from */
  unparsed: number;
  samples: Array<{ prompt: string; completion: string; reward: number | null }>;
}

export async function evaluateGreedy(model: DecoderModel, tokenizer: Tokenizer, examples: readonly Example[], reward: RewardFn,
  options: { maxNewTokens?: number; batchSize?: number } = {}): Promise<EvalResult> {
  const prompts = examples.map(plainPrompt);
  // Encoded as training encodes them (no special tokens added).
  const promptIds = prompts.map((p) => tokenizer.encode(p, { addSpecialTokens: false }));
  const sequences = generate(model, tokenizer, promptIds, { greedy: true, maxNewTokens: options.maxNewTokens ?? 128, batchSize: options.batchSize ?? 64 });
  const rewards = await reward({
    prompts,
    completions: sequences.map((s) => ({ text: s.text, tokenIds: s.tokenIds, finished: s.finishReason === "stop" })),
    columns: examples.map((e) => e.columns),
  });
  const samples = sequences.map((s, i) => ({ prompt: prompts[i].trimEnd(), completion: s.text, reward: rewards[i] }));
  const unparsed = samples.filter((s) => s.reward === null).length;
  const accuracy = samples.length === 0 ? 0 : samples.reduce((sum, x) => sum + (x.reward ?? 0), 0) / samples.length;
  return { accuracy, unparsed, samples };
}
