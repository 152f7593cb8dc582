// The rewards layer's public surface: the reward API, the built-in rewards and the verifier.
export type { ChatMessage, Completion, RewardBatch, RewardFn, RewardValue } from "./types.js";
export { rewardPerItem, combineRewards, scoreBatch, checkBatch, ITEM_REWARD_DEFAULTS, type ItemReward, type ItemRewardOptions, type WeightedReward } from "./reward.js";
export {
  mathAccuracy, gsm8kAccuracy, answerFormat, patternFormat, ACCURACY_REWARDS, DEFAULT_GOLD_COLUMNS, type AccuracyOptions, type CountedRewardFn,
} from "./builtins.js";
export { VerdictCounts, type VerdictSummary } from "./counts.js";
export {
  verifyAnswer, verifyResponse, goldAnswer, DEFAULT_REL_TOL,
  type VerifyResult, type VerifyReason, type Strictness, type AnswerOptions, type ResponseOptions,
} from "./verify.js";
export { extractAnswer, lastBoxed, cleanAnswer, AUTO_EXTRACT, EXTRACT_STRATEGIES, type ExtractStrategy, type Extracted } from "./extract.js";
export { hendrycksNormalize, gsm8kFirstNumber } from "./paper.js";
export { parseAnswer, ParseError } from "./parser.js";
export { formatExpr, type Expr, type FnName, type RelOp } from "./expr.js";
export { DEFAULT_BUDGET, type Budget, type BudgetLimits } from "./budget.js";
export type { MatchReason, UndecidedReason } from "./judgement.js";
export type { Rational } from "./rational.js";
export type { Unit } from "./units.js";
