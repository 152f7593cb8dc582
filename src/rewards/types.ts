// The reward API: a reward function is a plain function of the prompts, the
// completions and the dataset rows' other columns. It returns one number per
// completion, or null where it does not apply (e.g. the answer could not be parsed).

import type { ChatMessage } from "../tokenize/chat.js";

/** A chat message as chat templates take it (defined with the chat templates, in src/tokenize/chat.ts). */
export type { ChatMessage };

/** One sampled response. */
export interface Completion {
  /** The response as text, special tokens left out. */
  text: string;
  /** The response's tokens. */
  tokenIds: readonly number[];
  /** True when the response ended by itself (EOS or a stop string), false when cut at the length limit. */
  finished: boolean;
}

/** What every reward function receives; arrays are aligned by index. */
export interface RewardBatch {
  /** Each completion's prompt: the text the model read, or the chat messages of a chat dataset. */
  prompts: ReadonlyArray<string | readonly ChatMessage[]>;
  /** The responses to score. */
  completions: readonly Completion[];
  /** Each row's dataset columns other than the prompt (e.g. `answer`, `ground_truth`). */
  columns: ReadonlyArray<Readonly<Record<string, unknown>>>;
  /** Each completion's prompt id (`dataset:row:hash`, as stage 1's cache keys it), where the caller knows it: errors name the item by it. */
  ids?: readonly string[];
}

/** A completion's reward; null: the reward does not apply or cannot decide (training scores it 0 and counts it as undecided). */
export type RewardValue = number | null;
/**
 * A reward function: one value per completion of the batch, in order, sync or async. Training,
 * stage 1 and evaluation call it with batches of any size; rewardPerItem makes one from a
 * function of a single completion, and combineRewards sums several with weights.
 */
export type RewardFn = (batch: RewardBatch) => RewardValue[] | Promise<RewardValue[]>;
