// Sampling from a decoder (batched, with a KV cache) and scoring given responses under it.
export {
  GENERATION_DEFAULTS, logprobTemperature, resolveGenerationConfig,
  type GenerationConfig, type GenerationProgress, type GenerationTokenizer, type ResolvedGenerationConfig,
} from "./config.js";
export {
  checkPrompt, GenerationEngine, SamplingPlan, Sequence,
  type EngineOptions, type FinishReason, type SequenceRequest, type TokenChoice,
} from "./engine.js";
export { generate, generatedSequence, type GeneratedSequence } from "./generate.js";
export { localSampler, type ResponseSampler, type SamplePrompt } from "./sampler.js";
export { keptTokens, NO_FILTERS, sampleToken, sequenceSeed, type SamplingFilters } from "./samplers.js";
export {
  responseHidden, scoreResponses, scoreResponsesNoGrad,
  type PromptAndResponse, type ResponseHidden, type ResponseScores, type ScoredBatch, type ScoreNoGradOptions, type ScoreOptions,
} from "./score.js";
export { StopStrings } from "./stop-strings.js";
export { realVocabSize, vocabWeight } from "./vocab-logprobs.js";
