// What to sample and how: the knobs of generate(), with TRL's defaults, checked
// once up front so a bad value is reported by name before any compute starts.

/** The parts of a tokenizer that generation needs. */
export interface GenerationTokenizer {
  /** One more than the largest token id; stop token ids must lie below it. */
  readonly vocabSize: number;
  /** The default stop tokens. */
  readonly eosTokenIds: readonly number[];
  /** The token ids of a text (stop strings are matched on decoded text). */
  encode(text: string): number[];
  /** The text of token ids. */
  decode(ids: readonly number[]): string;
}

/** How generate() samples: every key optional, with TRL's defaults (GENERATION_DEFAULTS). */
export interface GenerationConfig {
  /** Most tokens to sample per sequence, stop tokens included. Default 256. */
  maxNewTokens?: number;
  /** Logits are divided by this before the softmax. Default 1. */
  temperature?: number;
  /** Nucleus sampling: keep the most likely tokens whose mass reaches topP. Default 1 (off). */
  topP?: number;
  /** Keep only the topK most likely tokens. Default 0 (off). */
  topK?: number;
  /** Drop tokens less likely than minP times the most likely one. Default 0 (off). */
  minP?: number;
  /** Take the most likely token every step (temperature and filters then only affect the reported log-probs). Default false. */
  greedy?: boolean;
  /** Token ids that end a sequence (kept as its last token). Default: the tokenizer's EOS ids. */
  stopTokenIds?: readonly number[];
  /** Texts that end a sequence when the response contains them (kept at the end of the text). Default none. */
  stopStrings?: readonly string[];
  /** Seed of the whole run: sequence i samples from a generator seeded by (seed, i). Default 0. */
  seed?: number;
  /** One seed per prompt, instead of deriving them from `seed`. */
  seeds?: readonly number[];
  /** Sequences decoded together. Default 16. */
  batchSize?: number;
  /**
   * Report log-probs of softmax(logits / temperature) (true, the A*-PO authors'
   * convention for both policies) or of softmax(logits) (false, TRL's). The
   * top-k / top-p / min-p filters never change the reported log-probs.
   * Default true. Scoring must use the matching temperature (logprobTemperature()).
   */
  logprobsAtTemperature?: boolean;
  /** Called after every decoding step. */
  onProgress?: (progress: GenerationProgress) => void;
}

/** What GenerationConfig.onProgress is told after each decoding step. */
export interface GenerationProgress {
  /** Sequences that have stopped. */
  finishedSequences: number;
  /** Sequences asked for (one per prompt). */
  totalSequences: number;
  /** Tokens sampled so far, over all sequences. */
  newTokens: number;
  /** Since generate() started. */
  seconds: number;
}

/** A GenerationConfig with every default filled in and checked, as resolveGenerationConfig() returns it. */
export type ResolvedGenerationConfig = Required<Omit<GenerationConfig, "seeds" | "onProgress">> &
  Pick<GenerationConfig, "seeds" | "onProgress">;

/** The defaults of GenerationConfig's keys (stopTokenIds defaults to the tokenizer's EOS ids). */
export const GENERATION_DEFAULTS = {
  /** Most new tokens per sequence. */
  maxNewTokens: 256,
  /** Softmax temperature. */
  temperature: 1,
  /** Nucleus sampling off. */
  topP: 1,
  /** Top-k filtering off. */
  topK: 0,
  /** Min-p filtering off. */
  minP: 0,
  /** Sample rather than take the most likely token. */
  greedy: false,
  /** No stop strings. */
  stopStrings: [] as readonly string[],
  /** Seed of the whole run. */
  seed: 0,
  /** Sequences decoded together. */
  batchSize: 16,
  /** Report log-probs at the sampling temperature. */
  logprobsAtTemperature: true,
} as const;

function check(ok: boolean, key: string, value: unknown, expected: string): void {
  if (!ok) throw new Error(`generation config: ${key} must be ${expected}, got ${JSON.stringify(value)}`);
}

const isInt = (v: number) => Number.isSafeInteger(v);

/** The config with every default filled in; throws naming the first bad key. */
export function resolveGenerationConfig(config: GenerationConfig, tokenizer: GenerationTokenizer, promptCount: number): ResolvedGenerationConfig {
  const d = GENERATION_DEFAULTS;
  const r: ResolvedGenerationConfig = {
    maxNewTokens: config.maxNewTokens ?? d.maxNewTokens,
    temperature: config.temperature ?? d.temperature,
    topP: config.topP ?? d.topP,
    topK: config.topK ?? d.topK,
    minP: config.minP ?? d.minP,
    greedy: config.greedy ?? d.greedy,
    stopTokenIds: config.stopTokenIds ?? tokenizer.eosTokenIds,
    stopStrings: config.stopStrings ?? d.stopStrings,
    seed: config.seed ?? d.seed,
    seeds: config.seeds,
    batchSize: config.batchSize ?? d.batchSize,
    logprobsAtTemperature: config.logprobsAtTemperature ?? d.logprobsAtTemperature,
    onProgress: config.onProgress,
  };
  check(isInt(r.maxNewTokens) && r.maxNewTokens > 0, "maxNewTokens", r.maxNewTokens, "a positive integer");
  check(r.temperature > 0 && Number.isFinite(r.temperature), "temperature", r.temperature, "a number > 0");
  check(r.topP > 0 && r.topP <= 1, "topP", r.topP, "in (0, 1]");
  check(isInt(r.topK) && r.topK >= 0, "topK", r.topK, "an integer >= 0 (0 = off)");
  check(r.minP >= 0 && r.minP < 1, "minP", r.minP, "in [0, 1) (0 = off)");
  check(isInt(r.batchSize) && r.batchSize > 0, "batchSize", r.batchSize, "a positive integer");
  check(isInt(r.seed), "seed", r.seed, "an integer");
  for (const id of r.stopTokenIds) {
    check(isInt(id) && id >= 0 && id < tokenizer.vocabSize, "stopTokenIds", r.stopTokenIds, `token ids in [0, ${tokenizer.vocabSize})`);
  }
  for (const s of r.stopStrings) check(typeof s === "string" && s.length > 0, "stopStrings", r.stopStrings, "non-empty strings");
  if (r.seeds !== undefined) {
    check(r.seeds.length === promptCount, "seeds", `${r.seeds.length} seeds`, `one seed per prompt (${promptCount})`);
    for (const s of r.seeds) check(isInt(s), "seeds", s, "integers");
  }
  return r;
}

/** The temperature scoring must use to reproduce the log-probs generate() reports under `config`. */
export function logprobTemperature(config: Pick<GenerationConfig, "temperature" | "logprobsAtTemperature">): number {
  const atTemperature = config.logprobsAtTemperature ?? GENERATION_DEFAULTS.logprobsAtTemperature;
  return atTemperature ? config.temperature ?? GENERATION_DEFAULTS.temperature : 1;
}
