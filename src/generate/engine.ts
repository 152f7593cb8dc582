// Generation as an engine that steps. The engine holds the sequences being
// decoded (one row each of a batch, with their KV cache) and those waiting to
// join; each call of step() advances every live sequence by one token and
// returns, so a caller decides what runs between steps: generate() simply
// steps until done, a server answers requests in between. Waiting sequences
// join at a step boundary: their prompts are prefilled together (left-padded
// to one width; a prompt several of them share is prefilled once and its
// cache copied to each), in passes of a bounded number of tokens so that a
// pass's activations stay small, and their rows appended to the running batch. A
// sequence that stops leaves the batch (its cache rows are dropped), so it
// costs nothing afterwards. Each sequence draws from its own seeded generator,
// so what it samples does not depend on which sequences share its batch, when
// it joined it, or in what order they come.
import { KVCache, type DecoderModel } from "../models/index.js";
import {
  drawTokens, empty, gatherRows, linear, noGrad, reshape, Rng, scope, selectPositions, sliceRows, softmaxRowsToHost, tensor, tokenLogProbs, writeRows,
  type Tensor,
} from "../tensor/index.js";
import { logprobTemperature, type GenerationTokenizer, type ResolvedGenerationConfig } from "./config.js";
import { keepsEveryToken, sampleToken, type SamplingFilters } from "./samplers.js";
import { StopStrings } from "./stop-strings.js";
import { realVocabSize, vocabWeight } from "./vocab-logprobs.js";

/** Why a sequence ended: "stop" (a stop token or stop string) or "length" (maxNewTokens reached). */
export type FinishReason = "stop" | "length";

/** How sequences sample and when they stop: one plan serves every sequence of a generate() call or a request. */
export class SamplingPlan {
  /** Take the most likely token every step. */
  readonly greedy: boolean;
  /** Logits are divided by this before sampling. */
  readonly temperature: number;
  /** The top-k, top-p and min-p filters. */
  readonly filters: SamplingFilters;
  /** The temperature of the reported log-probs (see GenerationConfig.logprobsAtTemperature). */
  readonly reportTemperature: number;
  /** Most tokens a sequence samples. */
  readonly maxNewTokens: number;
  /** Tokens that end a sequence (kept as its last token). */
  readonly stopTokenIds: ReadonlySet<number>;
  /** Texts that end a sequence once it contains them. */
  readonly stopStrings: StopStrings;
  /** Plans with the same key draw alike, so their rows share one draw per step. */
  readonly key: string;

  constructor(config: ResolvedGenerationConfig, private readonly tokenizer: GenerationTokenizer) {
    this.greedy = config.greedy;
    this.temperature = config.temperature;
    this.filters = { topK: config.topK, topP: config.topP, minP: config.minP };
    this.reportTemperature = logprobTemperature(config);
    this.maxNewTokens = config.maxNewTokens;
    this.stopTokenIds = new Set(config.stopTokenIds);
    this.stopStrings = new StopStrings(config.stopStrings, tokenizer);
    this.key = JSON.stringify([this.greedy, this.temperature, this.reportTemperature, this.filters.topK, this.filters.topP, this.filters.minP]);
  }

  /** Why a response that was just extended to `tokens` ends, or null while it goes on. */
  finishAfter(tokens: readonly number[]): FinishReason | null {
    if (this.stopTokenIds.has(tokens[tokens.length - 1]) || this.stopStrings.completedBy(tokens)) return "stop";
    return tokens.length >= this.maxNewTokens ? "length" : null;
  }

  /** A response's text: without a final stop token, cut after its stop string (or before it, without `keepStopString`). */
  responseText(tokens: readonly number[], finish: FinishReason | null, keepStopString = true): string {
    const textTokens = finish === "stop" && this.stopTokenIds.has(tokens[tokens.length - 1]) ? tokens.slice(0, -1) : tokens;
    return this.stopStrings.cut(this.tokenizer.decode(textTokens), keepStopString);
  }
}

/** A token and its log-prob (at the plan's reporting temperature). */
export interface TokenChoice {
  /** The token id. */
  id: number;
  /** Its log-probability. */
  logprob: number;
}

/** What GenerationEngine.submit() takes: one sequence to generate. */
export interface SequenceRequest {
  /** The prompt's token ids. */
  prompt: readonly number[];
  /** How it samples and when it stops. */
  plan: SamplingPlan;
  /** Seed of the sequence's own generator (unused when the plan is greedy). */
  seed: number;
  /** Also keep the this many most likely tokens of every step (default 0). */
  topLogprobs?: number;
  /** Names the sequence in errors. */
  label: string;
}

/** A sequence in the engine: what it has sampled so far, and why it ended. */
export class Sequence {
  /** The prompt's token ids. */
  readonly prompt: readonly number[];
  /** How it samples and when it stops. */
  readonly plan: SamplingPlan;
  /** Names the sequence in errors. */
  readonly label: string;
  /** How many most likely tokens each step keeps in topLogprobs. */
  readonly topCount: number;
  /** The response's token ids sampled so far. */
  readonly tokens: number[] = [];
  /** The log-prob of each sampled token, at the plan's reporting temperature. */
  readonly logprobs: number[] = [];
  /** Per sampled token, the topCount most likely tokens, most likely first (empty when topCount is 0). */
  readonly topLogprobs: TokenChoice[][] = [];
  /** Why it ended, or null while it goes on (or when it was cancelled). */
  finish: FinishReason | null = null;
  /** Set by GenerationEngine.cancel: the sequence leaves at the next step without a finish reason. */
  cancelled = false;
  /** The sequence's own generator, seeded by its request; null for greedy plans. */
  readonly rng: Rng | null;

  constructor(request: SequenceRequest) {
    this.prompt = request.prompt;
    this.plan = request.plan;
    this.label = request.label;
    this.topCount = request.topLogprobs ?? 0;
    this.rng = request.plan.greedy ? null : new Rng(request.seed);
  }

  /** Whether it finished or was cancelled. */
  get done(): boolean {
    return this.finish !== null || this.cancelled;
  }
}

/** Throws unless `ids` is a non-empty list of token ids of the vocabulary; `what` names the prompt. */
export function checkPrompt(ids: readonly number[], what: string, vocabSize: number): void {
  if (ids.length === 0) throw new Error(`${what} has no tokens`);
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new Error(`${what} has token id ${id}, outside the vocabulary [0, ${vocabSize})`);
  }
}

/** The distinct prompts of a batch (first holders) and, per row, which of them it holds. */
function distinctPrompts(batch: Sequence[]): { distinct: Sequence[]; source: number[] } {
  const first = new Map<string, number>();
  const distinct: Sequence[] = [];
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

interface Drawn {
  tokens: Int32Array;
  logprobs: Float32Array;
}

/** Options of GenerationEngine. */
export interface EngineOptions {
  /** Most sequences decoded together; more wait until rows free up. */
  maxBatch: number;
  /**
   * Most prompt positions (padding included) one prefill pass runs, default 2048: more distinct
   * prompts are prefilled a few at a time, which draws the same tokens. A pass holds one layer's
   * activations for its positions at once (Qwen2.5-0.5B's MLP: ~120 MB at 2048, ~1 GB at 64 x 256).
   */
  prefillTokens?: number;
}

const DEFAULT_PREFILL_TOKENS = 2048;

/**
 * Decodes many sequences together, one token each per step(), with one KV
 * cache: sequences join when rows are free and leave as they finish, so a
 * caller (generate(), the server) decides what happens between steps.
 */
export class GenerationEngine {
  /** The vocabulary sampled over: the tokenizer's (the model's output may be padded beyond it). */
  readonly vocabSize: number;
  private readonly waiting: Sequence[] = [];
  private live: Sequence[] = [];
  private cache: KVCache | null = null;
  /** Host memory for the softmax of filtered draws, reused across steps (a fresh 5 MB array costs more than filling it). */
  private host = new Float32Array(0);
  private readonly prefillTokens: number;

  constructor(private readonly model: DecoderModel, tokenizer: GenerationTokenizer, private readonly options: EngineOptions) {
    if (!Number.isSafeInteger(options.maxBatch) || options.maxBatch <= 0) throw new Error(`GenerationEngine: maxBatch must be a positive integer, got ${options.maxBatch}`);
    this.prefillTokens = options.prefillTokens ?? DEFAULT_PREFILL_TOKENS;
    if (!Number.isSafeInteger(this.prefillTokens) || this.prefillTokens <= 0) {
      throw new Error(`GenerationEngine: prefillTokens must be a positive integer, got ${options.prefillTokens}`);
    }
    this.vocabSize = realVocabSize(model, tokenizer.vocabSize);
  }

  /** Queues a sequence; it joins the batch at the next step with a free row. */
  submit(request: SequenceRequest): Sequence {
    checkPrompt(request.prompt, `generate: the prompt of ${request.label}`, this.vocabSize);
    const sequence = new Sequence(request);
    this.waiting.push(sequence);
    return sequence;
  }

  /** Drops a sequence: at once if it is still waiting, else at the next step. */
  cancel(sequence: Sequence): void {
    sequence.cancelled = true;
    const at = this.waiting.indexOf(sequence);
    if (at >= 0) this.waiting.splice(at, 1);
  }

  /** Sequences decoding. */
  get liveCount(): number {
    return this.live.length;
  }

  /** Sequences waiting to join. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Whether no sequence is decoding or waiting. */
  get idle(): boolean {
    return this.live.length === 0 && this.waiting.length === 0;
  }

  /**
   * One step: every live sequence samples one token, then waiting ones join as far as rows are
   * free (sampling their first token). Returns the sequences that sampled a token, finished ones
   * included (they have left the batch).
   */
  step(): Sequence[] {
    return noGrad(() => {
      this.release();
      const decoded = this.live;
      if (decoded.length > 0) this.decode();
      this.release();
      const joining = this.waiting.splice(0, this.options.maxBatch - this.live.length);
      if (joining.length > 0) this.admit(joining);
      this.release();
      return joining.length === 0 ? decoded : [...decoded, ...joining];
    });
  }

  /** Drops every sequence, live and waiting (e.g. after a failed step, or to shut down); returns them. */
  clear(): Sequence[] {
    const dropped = [...this.live, ...this.waiting.splice(0)];
    this.live = [];
    this.cache?.dispose();
    this.cache = null;
    return dropped;
  }

  /** Drops every sequence and frees the KV cache. */
  dispose(): void {
    this.clear();
  }

  /** Prefills the prompts of `group` into a cache of their own, samples their first tokens and appends them to the batch. */
  private admit(group: Sequence[]): void {
    const { distinct, source } = distinctPrompts(group);
    const shared = distinct.length < group.length;
    const width = Math.max(...distinct.map((s) => s.prompt.length));
    const cache = KVCache.create(this.model.config, distinct.length, width + Math.max(...group.map((s) => s.plan.maxNewTokens)), this.model.backend);
    try {
      const keyStart = Int32Array.from(distinct, (s) => width - s.prompt.length);
      const ids = new Int32Array(distinct.length * width);
      distinct.forEach((s, b) => ids.set(s.prompt, b * width + keyStart[b]));
      const drawn = this.forward(cache, ids, width, group, keyStart, shared ? source : undefined);
      if (shared) cache.selectRows(source);
      this.accept(group, drawn);
    } catch (error) {
      cache.dispose();
      throw error;
    }
    if (this.cache === null) {
      this.cache = cache;
      this.live = group;
      return;
    }
    try {
      this.cache.append(cache);
    } finally {
      cache.dispose();
    }
    this.live = [...this.live, ...group];
  }

  private decode(): void {
    const ids = Int32Array.from(this.live, (s) => s.tokens[s.tokens.length - 1]);
    this.accept(this.live, this.forward(this.cache!, ids, 1, this.live));
  }

  /** Drops finished and cancelled sequences from the batch and their rows from the cache. */
  private release(): void {
    if (this.live.every((s) => !s.done)) return;
    const kept: number[] = [];
    this.live.forEach((s, b) => {
      if (!s.done) kept.push(b);
    });
    if (kept.length === 0) {
      this.cache!.dispose();
      this.cache = null;
    } else {
      this.cache!.selectRows(kept);
    }
    this.live = kept.map((b) => this.live[b]);
  }

  private accept(rows: Sequence[], drawn: Drawn): void {
    rows.forEach((s, b) => {
      s.tokens.push(drawn.tokens[b]);
      s.logprobs.push(drawn.logprobs[b]);
      s.finish = s.plan.finishAfter(s.tokens);
    });
  }

  /**
   * Runs the model on `ids` [n, width] and draws the next token of each of `rows`: row b continues
   * ids row `fromRow[b]` (a shared prompt), or row b itself when fromRow is not given.
   */
  private forward(cache: KVCache, ids: Int32Array, width: number, rows: Sequence[], keyStart?: Int32Array, fromRow?: number[]): Drawn {
    return scope(() => {
      const ends = this.lastHidden(cache, ids, width, keyStart);
      const last = fromRow ? gatherRows(ends, fromRow) : ends;
      const logits = linear(last, vocabWeight(this.model, this.vocabSize));
      this.keepTopLogprobs(logits, rows);
      return this.draw(logits, rows);
    });
  }

  /**
   * The hidden state [n, hidden] at the last position of each row of `ids` [n, width], after running
   * them into `cache`: in passes of at most prefillTokens positions (at least one row each).
   */
  private lastHidden(cache: KVCache, ids: Int32Array, width: number, keyStart?: Int32Array): Tensor {
    const n = ids.length / width;
    const pass = (rows: KVCache, from: number, count: number): Tensor => {
      const hidden = this.model.hidden(tensor(ids.subarray(from * width, (from + count) * width), [count, width], { backend: this.model.backend }),
        { cache: rows, keyStart: keyStart?.subarray(from, from + count) });
      return width === 1 ? reshape(hidden, [count, hidden.shape[2]]) : selectPositions(hidden, new Int32Array(count).fill(width - 1));
    };
    const perPass = Math.max(1, Math.floor(this.prefillTokens / width));
    if (n <= perPass) return pass(cache, 0, n);
    const size = this.model.config.hiddenSize;
    const ends = empty([n, size], "f32", this.model.backend);
    for (let from = 0; from < n; from += perPass) {
      const count = Math.min(perPass, n - from);
      scope(() => writeRows(reshape(ends, [1, n, size]), reshape(pass(cache.rowView(from, count), from, count), [1, count, size]), Int32Array.of(from)));
    }
    return ends;
  }

  /** Draws each row's token under its plan: rows whose plans draw alike in one go. */
  private draw(logits: Tensor, rows: Sequence[]): Drawn {
    const plan = rows[0].plan;
    if (rows.every((s) => s.plan === plan || s.plan.key === plan.key)) return this.drawAlike(logits, rows, plan);
    const groups = new Map<string, number[]>();
    rows.forEach((s, b) => {
      const members = groups.get(s.plan.key);
      if (members) members.push(b);
      else groups.set(s.plan.key, [b]);
    });
    const tokens = new Int32Array(rows.length), logprobs = new Float32Array(rows.length);
    for (const members of groups.values()) {
      const drawn = this.drawAlike(gatherRows(logits, members), members.map((b) => rows[b]), rows[members[0]].plan);
      members.forEach((b, i) => {
        tokens[b] = drawn.tokens[i];
        logprobs[b] = drawn.logprobs[i];
      });
    }
    return { tokens, logprobs };
  }

  private drawAlike(logits: Tensor, rows: Sequence[], plan: SamplingPlan): Drawn {
    if (plan.greedy) return this.drawOnDevice(logits, rows, plan.reportTemperature);
    if (!keepsEveryToken(plan.filters, this.vocabSize)) return this.withLogprobs(logits, this.drawFiltered(logits, rows, plan), plan.reportTemperature);
    const drawn = this.drawOnDevice(logits, rows, plan.temperature);
    return plan.reportTemperature === plan.temperature ? drawn : this.withLogprobs(logits, drawn.tokens, plan.reportTemperature);
  }

  /** The chosen tokens with their log-probs at `temperature`. */
  private withLogprobs(logits: Tensor, tokens: Int32Array, temperature: number): Drawn {
    const { logprobs } = tokenLogProbs(logits, tensor(tokens, [tokens.length], { backend: logits.backend }), { temperature });
    return { tokens, logprobs: logprobs.toFloat32Array() };
  }

  /**
   * On the device, without a filter: draws from the whole softmax at `temperature` (the most likely token when
   * greedy); the tokens and their log-probs at that temperature.
   */
  private drawOnDevice(logits: Tensor, rows: Sequence[], temperature: number): Drawn {
    const uniforms = Float64Array.from(rows, (s) => (s.rng ? s.rng.uniform() : -1));
    const { tokens, logprobs, badRow } = drawTokens(logits, 1 / temperature, uniforms);
    if (badRow >= 0) throw new Error(`generate: the logits of ${rows[badRow].label} are not finite; the model produced NaN or infinity`);
    return { tokens, logprobs };
  }

  /** On the host, after the plan's filters. */
  private drawFiltered(logits: Tensor, rows: Sequence[], plan: SamplingPlan): Int32Array {
    const V = this.vocabSize;
    if (this.host.length < rows.length * V) this.host = new Float32Array(rows.length * V);
    softmaxRowsToHost(logits, 1 / plan.temperature, this.host);
    return Int32Array.from(rows, (s, b) => sampleToken(this.host.subarray(b * V, (b + 1) * V), plan.filters, s.rng!));
  }

  /** Keeps the most likely tokens of each row that asks for them. */
  private keepTopLogprobs(logits: Tensor, rows: Sequence[]): void {
    rows.forEach((s, b) => {
      if (s.topCount > 0) s.topLogprobs.push(topTokens(sliceRows(logits, b, 1).toFloat32Array(), s.topCount, 1 / s.plan.reportTemperature));
    });
  }
}

/** The `count` largest of one row of logits, most likely first, with their log softmax(logits * invTemperature). */
function topTokens(logits: Float32Array, count: number, invTemperature: number): TokenChoice[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] * invTemperature);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] * invTemperature - max);
  const logSumExp = max + Math.log(sum);
  const best: number[] = [];
  for (let i = 0; i < logits.length; i++) {
    if (best.length === count && logits[i] <= logits[best[count - 1]]) continue;
    let at = best.length;
    while (at > 0 && logits[best[at - 1]] < logits[i]) at--;
    best.splice(at, 0, i);
    if (best.length > count) best.pop();
  }
  return best.map((id) => ({ id, logprob: logits[id] * invTemperature - logSumExp }));
}
