// Batched sampling with a KV cache. Prompts of a batch are left-padded to one
// width and prefilled in a single forward pass (a prompt that several
// sequences share, as when sampling N responses per prompt, is prefilled
// once and its cache copied to each); then every live sequence advances one
// token per step. A sequence that stops leaves the batch (its
// cache rows are dropped), so it costs nothing afterwards. Each sequence draws
// from its own seeded generator, so what it samples does not depend on which
// prompts share its batch or in what order they come.
import { KVCache, type DecoderModel } from "../models/index.js";
import { exp, empty, full, gatherRows, linear, noGrad, reshape, Rng, scale, scope, selectPositions, sliceRows, tensor, tokenLogProbs, type Tensor } from "../tensor/index.js";
import { logprobTemperature, resolveGenerationConfig, type GenerationConfig, type GenerationTokenizer, type ResolvedGenerationConfig } from "./config.js";
import { keepsEveryToken, sampleToken, sequenceSeed, type SamplingFilters } from "./samplers.js";
import { StopStrings } from "./stop-strings.js";
import { realVocabSize, vocabWeight } from "./vocab-logprobs.js";

export type FinishReason = "stop" | "length";

export interface GeneratedSequence {
  /** The prompt as the model read it. */
  promptTokenIds: number[];
  promptTokenCount: number;
  /** The sampled tokens, a stop token included. */
  tokenIds: number[];
  /** The response's text: without a final stop token, cut after a stop string. */
  text: string;
  /** log p(token) of each sampled token (see GenerationConfig.logprobsAtTemperature). */
  logprobs: number[];
  /** "stop": a stop token or stop string ended it; "length": maxNewTokens did. */
  finishReason: FinishReason;
}

/** A sequence being decoded: one row of the batch. */
interface Row {
  index: number;
  prompt: number[];
  rng: Rng | null;
  tokens: number[];
  logprobs: number[];
  finish: FinishReason | null;
}

/** A prompt's token ids: encoded when it is text, checked against the vocabulary when given as ids. */
function promptIds(prompt: string | readonly number[], index: number, tokenizer: GenerationTokenizer, vocabSize: number): number[] {
  const ids = typeof prompt === "string" ? tokenizer.encode(prompt) : [...prompt];
  if (ids.length === 0) throw new Error(`generate: prompt ${index} has no tokens`);
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new Error(`generate: prompt ${index} has token id ${id}, outside the vocabulary [0, ${vocabSize})`);
  }
  return ids;
}

function compareIds(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** The distinct prompts of a batch (first holders) and, per row, which of them it holds. */
function distinctPrompts(batch: Row[]): { distinct: Row[]; source: number[] } {
  const first = new Map<string, number>();
  const distinct: Row[] = [];
  const source = batch.map((row) => {
    const key = row.prompt.join(",");
    let at = first.get(key);
    if (at === undefined) {
      at = distinct.push(row) - 1;
      first.set(key, at);
    }
    return at;
  });
  return { distinct, source };
}

/**
 * Samples a response to every prompt (text, encoded with the tokenizer's
 * special tokens, or token ids as given). Results come in prompt order.
 */
export function generate(model: DecoderModel, tokenizer: GenerationTokenizer, prompts: ReadonlyArray<string | readonly number[]>,
  config: GenerationConfig = {}): GeneratedSequence[] {
  const options = resolveGenerationConfig(config, tokenizer, prompts.length);
  const vocabSize = realVocabSize(model, tokenizer.vocabSize);
  const rows: Row[] = prompts.map((prompt, index) => ({
    index,
    prompt: promptIds(prompt, index, tokenizer, vocabSize),
    rng: options.greedy ? null : new Rng(options.seeds?.[index] ?? sequenceSeed(options.seed, index)),
    tokens: [],
    logprobs: [],
    finish: null,
  }));
  const stopStrings = new StopStrings(options.stopStrings, tokenizer);
  const decoder = new BatchDecoder(model, vocabSize, options, rows.length, stopStrings);
  // Longest prompts first, so each batch pads as little as possible; equal prompts side by side, so they share a prefill.
  const order = [...rows].sort((a, b) => b.prompt.length - a.prompt.length || compareIds(a.prompt, b.prompt) || a.index - b.index);
  noGrad(() => {
    for (let start = 0; start < order.length; start += options.batchSize) decoder.run(order.slice(start, start + options.batchSize));
  });
  const stopIds = new Set(options.stopTokenIds);
  return rows.map((row) => {
    const last = row.tokens[row.tokens.length - 1];
    const textTokens = row.finish === "stop" && stopIds.has(last) ? row.tokens.slice(0, -1) : row.tokens;
    return {
      promptTokenIds: row.prompt,
      promptTokenCount: row.prompt.length,
      tokenIds: row.tokens,
      text: stopStrings.cut(tokenizer.decode(textTokens)),
      logprobs: row.logprobs,
      finishReason: row.finish ?? "length",
    };
  });
}

class BatchDecoder {
  private readonly stopIds: Set<number>;
  private readonly filters: SamplingFilters;
  private readonly reportTemperature: number;
  private readonly started = performance.now();
  private finished = 0;
  private host: Float32Array | null = null;
  private newTokens = 0;

  constructor(private readonly model: DecoderModel, private readonly vocabSize: number, private readonly options: ResolvedGenerationConfig,
    private readonly total: number, private readonly stopStrings: StopStrings) {
    this.stopIds = new Set(options.stopTokenIds);
    this.filters = { topK: options.topK, topP: options.topP, minP: options.minP };
    this.reportTemperature = logprobTemperature(options);
  }

  /** Decodes one batch of rows to the end, filling their tokens, log-probs and finish reasons. */
  run(batch: Row[]): void {
    const { distinct, source } = distinctPrompts(batch);
    const shared = distinct.length < batch.length;
    const width = Math.max(...distinct.map((r) => r.prompt.length));
    const cache = KVCache.create(this.model.config, distinct.length, width + this.options.maxNewTokens);
    try {
      const keyStart = Int32Array.from(distinct, (r) => width - r.prompt.length);
      const ids = new Int32Array(distinct.length * width);
      distinct.forEach((r, b) => ids.set(r.prompt, b * width + keyStart[b]));
      let live = batch;
      let step = this.step(cache, ids, width, live, keyStart, shared ? source : undefined);
      if (shared) cache.selectRows(source);
      for (;;) {
        const still = live.filter((row, b) => !this.accept(row, step.tokens[b], step.logprobs[b]));
        this.report();
        if (still.length === 0) return;
        if (still.length < live.length) {
          cache.selectRows(live.flatMap((row, b) => (still.includes(row) ? [b] : [])));
          live = still;
        }
        step = this.step(cache, Int32Array.from(live, (r) => r.tokens[r.tokens.length - 1]), 1, live);
      }
    } finally {
      cache.dispose();
    }
  }

  /**
   * Runs the model on `ids` [n, width] and picks the next token of each of `rows`: row b continues
   * ids row `fromRow[b]` (a shared prompt), or row b itself when fromRow is not given.
   */
  private step(cache: KVCache, ids: Int32Array, width: number, rows: Row[], keyStart?: Int32Array, fromRow?: number[]): { tokens: Int32Array; logprobs: Float32Array } {
    return scope(() => {
      const n = ids.length / width;
      const hidden = this.model.hidden(tensor(ids, [n, width]), { cache, keyStart });
      const ends = width === 1 ? reshape(hidden, [n, hidden.shape[2]]) : selectPositions(hidden, new Int32Array(n).fill(width - 1));
      const last = fromRow ? gatherRows(ends, fromRow) : ends;
      const logits = linear(last, vocabWeight(this.model, this.vocabSize));
      if (this.options.greedy) return this.drawnTokens(logits, rows, this.reportTemperature);
      if (!keepsEveryToken(this.filters, this.vocabSize)) return this.withLogprobs(logits, this.sampledTokens(logits, rows));
      const drawn = this.drawnTokens(logits, rows, this.options.temperature);
      return this.reportTemperature === this.options.temperature ? drawn : this.withLogprobs(logits, drawn.tokens);
    });
  }

  /** The chosen tokens with their log-probs at the reporting temperature. */
  private withLogprobs(logits: Tensor, tokens: Int32Array): { tokens: Int32Array; logprobs: Float32Array } {
    const { logprobs } = tokenLogProbs(logits, tensor(tokens, [tokens.length]), { temperature: this.reportTemperature });
    return { tokens, logprobs: logprobs.toFloat32Array() };
  }

  /**
   * On the device, without a filter: draws from the whole softmax at `temperature` (the most likely token when
   * greedy); the tokens and their log-probs at that temperature.
   */
  private drawnTokens(logits: Tensor, rows: Row[], temperature: number): { tokens: Int32Array; logprobs: Float32Array } {
    const [B, V] = logits.shape;
    const uniforms = Float64Array.from(rows, (row) => (row.rng ? row.rng.uniform() : -1));
    const tokens = new Int32Array(B), logprobs = new Float32Array(B);
    const bad = logits.backend.sampleRows(logits.addr, B, V, 1 / temperature, uniforms, tokens, logprobs);
    if (bad >= 0) throw new Error(`generate: the logits of sequence ${rows[bad].index} are not finite; the model produced NaN or infinity`);
    return { tokens, logprobs };
  }

  private sampledTokens(logits: Tensor, rows: Row[]): Int32Array {
    const probs = this.hostRows(rows.length);
    const V = this.vocabSize;
    const invTemperature = 1 / this.options.temperature;
    const lse = rowLogSumExp(logits, invTemperature);
    // Row by row, shifted by a host scalar: a per-row broadcast would cost a division per element.
    rows.forEach((_, b) => scope(() => {
      const p = exp(scale(sliceRows(logits, b, 1), invTemperature, -lse[b]));
      p.backend.read(p.addr, 0, probs.subarray(b * V, (b + 1) * V));
    }));
    return Int32Array.from(rows, (row, b) => sampleToken(probs.subarray(b * V, (b + 1) * V), this.filters, row.rng!));
  }

  /** Host memory for `rows` rows of the vocabulary, reused across steps (a fresh 5 MB array costs more than filling it). */
  private hostRows(rows: number): Float32Array {
    const size = Math.min(this.options.batchSize, this.total) * this.vocabSize;
    if (this.host === null) this.host = new Float32Array(size);
    return this.host.subarray(0, rows * this.vocabSize);
  }

  /** Appends a sampled token; returns whether the row is now finished. */
  private accept(row: Row, token: number, logprob: number): boolean {
    row.tokens.push(token);
    row.logprobs.push(logprob);
    this.newTokens++;
    if (this.stopIds.has(token) || this.stopStrings.completedBy(row.tokens)) row.finish = "stop";
    else if (row.tokens.length >= this.options.maxNewTokens) row.finish = "length";
    if (row.finish !== null) this.finished++;
    return row.finish !== null;
  }

  private report(): void {
    this.options.onProgress?.({
      finishedSequences: this.finished,
      totalSequences: this.total,
      newTokens: this.newTokens,
      seconds: (performance.now() - this.started) / 1000,
    });
  }
}

/** log sum exp(logits / temperature) of each row of logits [B, V], on the host: the fused log-prob kernel's normaliser, without a target. */
function rowLogSumExp(logits: Tensor, invTemperature: number): Float32Array {
  const [B, V] = logits.shape;
  const lse = empty([B], "f32", logits.backend);
  const unused = empty([B], "f32", logits.backend);
  const noTargets = full([B], -1, { dtype: "i32", backend: logits.backend });
  logits.backend.tokenLogProbs(logits.addr, noTargets.addr, unused.addr, lse.addr, 0, B, V, invTemperature);
  return lse.toFloat32Array();
}
