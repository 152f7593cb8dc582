// The library's entry points, one per stage, each doing what its command does
// with the same config objects and defaults: stage 1 (computeValues), training
// with any algorithm (train, compare), evaluation (evaluate) and generation
// (generateText); startServer serves a model. The command line is a thin layer
// over these.
export { train, compare, resolveRunConfig, type TrainOptions, type CompareOptions, type GivenInputs, type RewardInput } from "./train.js";
export { computeValues, defaultValuesDir, type ComputeValuesOptions, type ComputeValuesResult, type ServerSampling } from "./values.js";
export { evaluate, EVALUATE_DEFAULTS, type EvaluateConfig, type EvaluateOptions, type Evaluation } from "./evaluate.js";
export { generateText, type GenerateTextOptions, type GeneratedText, type SamplingSettings } from "./generate.js";
export { ConfigError, type RunConfig, type RunConfigInput } from "../train/config.js";
export type { TrainResult } from "../train/trainer.js";
export type { TrainerState } from "../train/checkpoint.js";
export type { EvalResult } from "../train/evaluate.js";
export type { EvalMetrics, StepMetrics } from "../train/metrics.js";
export { RunControls, type ControlRequest } from "../train/controls.js";
export { RolloutReader, ROLLOUTS_FILE, SAMPLE_ORDERS, type RolloutQuery, type RolloutRow, type SampleOrder } from "../train/rollout-store.js";
export type { Dataset } from "../train/prompts.js";
export type { StageOneSummary } from "../train/values.js";
export type { AlgorithmSummary, ComparisonSummary } from "../train/compare.js";
export type { AstarOptions, GrpoOptions, HeldOutSample, PpoOptions, RebelOptions, RlooOptions, RolloutBatch, RolloutSequence } from "../algos/index.js";
