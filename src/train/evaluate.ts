// Greedy accuracy on held-out examples, scored by the task's reward function.
import type { Example } from "../data/index.js";
import { KVCache, type DecoderModel } from "../models/index.js";
import type { RewardFn } from "../rewards/types.js";
import { noGrad, scope, tensor } from "../tensor/index.js";
import type { Tokenizer } from "../tokenize/index.js";
import { plainPrompt } from "./sft.js";

export interface EvalResult {
  /** mean reward, counting unparseable answers (null) as wrong */
  accuracy: number;
  /** responses the checker could not read an answer from */
  unparsed: number;
  samples: Array<{ prompt: string; completion: string; reward: number | null }>;
}

/** Greedy completions of a batch of prompts (left-padded, KV cache), stopping at EOS. */
export function greedyComplete(model: DecoderModel, tokenizer: Tokenizer, prompts: readonly string[], maxNewTokens: number): Array<{ ids: number[]; finished: boolean }> {
  const encoded = prompts.map((p) => tokenizer.encode(p, { addSpecialTokens: false }));
  const width = Math.max(...encoded.map((e) => e.length));
  const pad = tokenizer.padTokenId ?? tokenizer.eosTokenIds[0] ?? 0;
  const eos = new Set(tokenizer.eosTokenIds);
  const vocab = Math.min(tokenizer.vocabSize, model.config.vocabSize);
  const rows = encoded.length;
  const ids = new Int32Array(rows * width).fill(pad);
  const keyStart = new Int32Array(rows);
  encoded.forEach((e, r) => {
    keyStart[r] = width - e.length;
    ids.set(e, r * width + keyStart[r]);
  });
  const out = encoded.map(() => ({ ids: [] as number[], finished: false }));
  const cache = KVCache.create(model.config, rows, width + maxNewTokens);
  try {
    noGrad(() => {
      let live = out.map((_, r) => r);
      let next = scope(() => argmaxRows(model.forward(tensor(ids, [rows, width]), { cache, keyStart, lastOnly: true }).toFloat32Array(), model.config.vocabSize, vocab));
      for (let step = 0; step < maxNewTokens && live.length > 0; step++) {
        const keep: number[] = [];
        live.forEach((row, i) => {
          const token = next[i];
          if (eos.has(token)) out[row].finished = true;
          else {
            out[row].ids.push(token);
            keep.push(i);
          }
        });
        if (keep.length === 0 || step === maxNewTokens - 1) break;
        if (keep.length < live.length) cache.selectRows(keep);
        live = keep.map((i) => live[i]);
        const feed = Int32Array.from(keep.map((i) => next[i]));
        next = scope(() => argmaxRows(model.forward(tensor(feed, [feed.length, 1]), { cache, lastOnly: true }).toFloat32Array(), model.config.vocabSize, vocab));
      }
    });
  } finally {
    cache.dispose();
  }
  return out;
}

function argmaxRows(logits: Float32Array, stride: number, vocab: number): number[] {
  const rows = logits.length / stride;
  const best: number[] = [];
  for (let r = 0; r < rows; r++) {
    let arg = 0;
    for (let v = 1; v < vocab; v++) if (logits[r * stride + v] > logits[r * stride + arg]) arg = v;
    best.push(arg);
  }
  return best;
}

export async function evaluateGreedy(model: DecoderModel, tokenizer: Tokenizer, examples: readonly Example[], reward: RewardFn,
  options: { maxNewTokens?: number; batchSize?: number } = {}): Promise<EvalResult> {
  const maxNewTokens = options.maxNewTokens ?? 128, batchSize = options.batchSize ?? 64;
  const samples: EvalResult["samples"] = [];
  for (let start = 0; start < examples.length; start += batchSize) {
    const batch = examples.slice(start, start + batchSize);
    const prompts = batch.map(plainPrompt);
    const completions = greedyComplete(model, tokenizer, prompts, maxNewTokens);
    const texts = completions.map((c) => tokenizer.decode(c.ids, { skipSpecialTokens: true }));
    const rewards = await reward({
      prompts,
      completions: completions.map((c, i) => ({ text: texts[i], tokenIds: c.ids, finished: c.finished })),
      columns: batch.map((e) => e.columns),
    });
    batch.forEach((e, i) => samples.push({ prompt: prompts[i].trimEnd(), completion: texts[i], reward: rewards[i] }));
  }
  const unparsed = samples.filter((s) => s.reward === null).length;
  const accuracy = samples.length === 0 ? 0 : samples.reduce((s, x) => s + (x.reward ?? 0), 0) / samples.length;
  return { accuracy, unparsed, samples };
}
