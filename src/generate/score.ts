// Teacher-forced scoring: the log-prob (and entropy) the model gives each
// token of a known response. One forward pass per batch; prompts are
// left-padded so that every response starts in the same column and responses
// right-padded to one length, so the positions that predict response tokens
// are the same columns of every row and only they reach the vocabulary
// projection. The same projection and log-softmax as sampling, over the same
// real vocabulary, so the log-probs match what generate() reported.
import type { DecoderModel } from "../models/index.js";
import { embedding, mul, noGrad, reshape, scope, tensor, vocabLogProbs, type Tensor } from "../tensor/index.js";
import type { GenerationTokenizer } from "./config.js";
import { realVocabSize, vocabWeight } from "./vocab-logprobs.js";

/** A sequence to score: the prompt the model reads and the response whose tokens are scored. */
export interface PromptAndResponse {
  /** The prompt's token ids; not empty. */
  prompt: readonly number[];
  /** The response's token ids. */
  response: readonly number[];
}

/** Options of scoreResponses() and scoreResponsesNoGrad(). */
export interface ScoreOptions {
  /**
   * Logits are divided by this before the softmax. Default 1; to reproduce the
   * log-probs of a generate() run, pass logprobTemperature(its config).
   */
  temperature?: number;
  /** Also the entropy of each position's distribution. Default false. */
  entropy?: boolean;
  /** Most bytes of logits alive at once (they are made in chunks of rows). Default 256 MiB. */
  maxLogitsBytes?: number;
}

/** What scoreResponses() returns: [B, R] tensors, R the longest response. */
export interface ScoredBatch {
  /** [B, R] (R: the longest response): log p(response[b][j]) at [b, j], 0 past the response's end. */
  logprobs: Tensor;
  /** [B, R] entropy of the distribution each response token was drawn from, 0 past the end; null unless asked for. */
  entropy: Tensor | null;
  /** [B, R] 1 on response tokens, 0 on padding. */
  mask: Tensor;
  /** Each sequence's response length, in tokens. */
  responseLengths: number[];
}

function checkIds(ids: readonly number[], what: string, vocabSize: number): void {
  for (let j = 0; j < ids.length; j++) {
    const id = ids[j];
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new Error(`score: ${what} token ${j} is ${id}, outside the vocabulary [0, ${vocabSize})`);
  }
}

function checkSequences(sequences: readonly PromptAndResponse[], vocabSize: number): void {
  if (sequences.length === 0) throw new Error("score: no sequences");
  sequences.forEach(({ prompt, response }, i) => {
    if (prompt.length === 0) throw new Error(`score: sequence ${i} has an empty prompt (the first response token needs a position before it)`);
    checkIds(prompt, `sequence ${i}, prompt`, vocabSize);
    checkIds(response, `sequence ${i}, response`, vocabSize);
  });
}

/** Hidden states of the positions that predict each response token, in the batch layout scoring uses. */
export interface ResponseHidden {
  /** [B * R, hidden], where row b * R + j predicts response token j of sequence b (padding rows past the end). */
  rows: Tensor;
  /** i32 [B * R]: the token each row predicts, -1 on padding. */
  targets: Tensor;
  /** [B, R] 1 on response tokens, 0 on padding. */
  mask: Tensor;
  /** Each sequence's response length, in tokens. */
  responseLengths: number[];
}

/**
 * One forward pass over a batch of prompts and responses; the hidden states
 * that predict the response tokens. Scoring projects them onto the
 * vocabulary; a value model (PPO's critic) onto one number.
 */
export function responseHidden(model: DecoderModel, batch: readonly PromptAndResponse[], vocabSize: number): ResponseHidden {
  checkSequences(batch, vocabSize);
  const B = batch.length;
  const P = Math.max(...batch.map((s) => s.prompt.length));
  const R = Math.max(...batch.map((s) => s.response.length));
  if (R === 0) throw new Error("score: every response is empty");
  // Position P - 1 + j predicts response token j, in every row.
  const L = P + R - 1;
  const ids = new Int32Array(B * L);
  const keyStart = new Int32Array(B);
  const picked = new Int32Array(B * R);
  const targets = new Int32Array(B * R).fill(-1);
  const mask = new Float32Array(B * R);
  batch.forEach(({ prompt, response }, b) => {
    keyStart[b] = P - prompt.length;
    ids.set(prompt, b * L + keyStart[b]);
    ids.set(response.slice(0, -1), b * L + P);
    for (let j = 0; j < R; j++) {
      picked[b * R + j] = b * L + P - 1 + j;
      if (j < response.length) {
        targets[b * R + j] = response[j];
        mask[b * R + j] = 1;
      }
    }
  });
  const backend = model.backend;
  return scope(() => {
    const hidden = model.hidden(tensor(ids, [B, L], { backend }), { keyStart });
    return {
      rows: embedding(tensor(picked, [B * R], { backend }), reshape(hidden, [B * L, hidden.shape[2]])),
      targets: tensor(targets, [B * R], { backend }),
      mask: tensor(mask, [B, R], { backend }),
      responseLengths: batch.map((s) => s.response.length),
    };
  });
}

/**
 * Scores a batch in one forward pass. The results are on the autograd tape
 * when the model's parameters require gradients (and gradients are enabled):
 * this is the policy term of a training loss.
 */
export function scoreResponses(model: DecoderModel, tokenizer: Pick<GenerationTokenizer, "vocabSize">, batch: readonly PromptAndResponse[],
  options: ScoreOptions = {}): ScoredBatch {
  const vocabSize = realVocabSize(model, tokenizer.vocabSize);
  return scope(() => {
    const { rows, targets, mask, responseLengths } = responseHidden(model, batch, vocabSize);
    const [B, R] = mask.shape;
    const scored = vocabLogProbs(rows, vocabWeight(model, vocabSize), targets, options);
    return {
      logprobs: reshape(scored.logprobs, [B, R]),
      entropy: scored.entropy ? mul(reshape(scored.entropy, [B, R]), mask) : null,
      mask,
      responseLengths,
    };
  });
}

/** Options of scoreResponsesNoGrad(). */
export interface ScoreNoGradOptions extends ScoreOptions {
  /** Sequences per forward pass. Default 8. */
  batchSize?: number;
}

/** What scoreResponsesNoGrad() returns, on the host, in the order of the sequences given. */
export interface ResponseScores {
  /** Per sequence, the log-prob of each response token. */
  logprobs: Float32Array[];
  /** Per sequence, the entropy at each response token; null unless asked for. */
  entropy: Float32Array[] | null;
}

/** Scores any number of sequences without gradients (e.g. under the reference policy), batchSize at a time. */
export function scoreResponsesNoGrad(model: DecoderModel, tokenizer: Pick<GenerationTokenizer, "vocabSize">, sequences: readonly PromptAndResponse[],
  options: ScoreNoGradOptions = {}): ResponseScores {
  checkSequences(sequences, realVocabSize(model, tokenizer.vocabSize));
  const batchSize = options.batchSize ?? 8;
  if (!Number.isSafeInteger(batchSize) || batchSize <= 0) throw new Error(`score: batchSize must be a positive integer, got ${batchSize}`);
  const logprobs = new Array<Float32Array>(sequences.length);
  const entropy = options.entropy ? new Array<Float32Array>(sequences.length) : null;
  // Similar lengths together: less padding.
  const length = (i: number) => sequences[i].prompt.length + sequences[i].response.length;
  const order = sequences.map((_, i) => i).sort((a, b) => length(b) - length(a) || a - b);
  noGrad(() => {
    for (let start = 0; start < order.length; start += batchSize) {
      const members = order.slice(start, start + batchSize);
      scope(() => {
        const scored = scoreResponses(model, tokenizer, members.map((i) => sequences[i]), options);
        const R = scored.logprobs.shape[1];
        const lp = scored.logprobs.toFloat32Array();
        const ent = scored.entropy?.toFloat32Array();
        members.forEach((i, b) => {
          const n = sequences[i].response.length;
          logprobs[i] = lp.slice(b * R, b * R + n);
          if (entropy && ent) entropy[i] = ent.slice(b * R, b * R + n);
        });
      });
    }
  });
  return { logprobs, entropy };
}
