// The reward API: a reward function is a plain function of the prompts, the
// completions and the dataset rows' other columns. It returns one number per
// completion, or null where it does not apply (e.g. the answer could not be parsed).

import type { ChatMessage } from "../tokenize/chat.js";

/** A chat message as chat templates take it (defined with the chat templates, in src/tokenize/chat.ts). */
export type { ChatMessage };

/** One sampled response. */
export interface Completion {
  text: string;
  tokenIds: readonly number[];
  /** True when the response ended by itself (EOS or a stop string), false when cut at the length limit. */
  finished: boolean;
}

/** What every reward function receives; arrays are aligned by index. */
export interface RewardBatch {
  prompts: ReadonlyArray<string | readonly ChatMessage[]>;
  completions: readonly Completion[];
  /** Each row's dataset columns other than the prompt (e.g. `answer`, `ground_truth`). */
  columns: ReadonlyArray<Readonly<Record<string, unknown>>>;
  /** Each completion's prompt id (`dataset:row:hash`, as stage 1's cache keys it), where the caller knows it: errors name the item by it. */
  ids?: readonly string[];
}

export type RewardValue = number | null;
export type RewardFn = (batch: RewardBatch) => RewardValue[] | Promise<RewardValue[]>;
