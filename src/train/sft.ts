// Supervised warm-up: teach a model a task's answer format from reference
// solutions before reinforcement learning. Tiny models trained from scratch
// on a built-in task need it; the loss covers response tokens only.
import type { Example } from "../data/index.js";
import type { DecoderModel } from "../models/index.js";
import { AdamW, gradNormScale } from "../nn/index.js";
import { backward, neg, scale, scope, sum, tensor, tokenLogProbs } from "../tensor/index.js";
import type { Tokenizer } from "../tokenize/index.js";
import { promptItem } from "./prompts.js";

export interface SftConfig {
  /** optimizer steps (default 300) */
  steps: number;
  /** sequences per step (default 32) */
  batchSize: number;
  /** AdamW learning rate (default 3e-3: tiny models from scratch; use ~1e-5 for pretrained ones) */
  lr: number;
  /** decoupled weight decay (default 0.01) */
  weightDecay: number;
  /** global gradient-norm clip (default 1.0) */
  maxGradNorm: number;
  /** sequences longer than this many tokens are cut (default 256) */
  maxTokens: number;
}

export const defaultSftConfig: SftConfig = { steps: 300, batchSize: 32, lr: 3e-3, weightDecay: 0.01, maxGradNorm: 1.0, maxTokens: 256 };

export interface SftStep {
  step: number;
  /** mean negative log-likelihood per response token */
  loss: number;
  gradNorm: number;
  tokens: number;
  seconds: number;
}

interface Batch { ids: Int32Array; targets: Int32Array; rows: number; length: number; responseTokens: number }

/** Right-padded ids and next-token targets, with -1 (ignored) on prompt and padding positions. */
export function buildBatch(examples: readonly Example[], tokenizer: Tokenizer, maxTokens: number): Batch {
  const eos = tokenizer.eosTokenIds[0];
  if (eos === undefined) throw new Error("sft: the tokenizer has no end-of-sequence token");
  const pad = tokenizer.padTokenId ?? eos;
  const sequences = examples.map((example) => {
    if (!example.solution) throw new Error(`sft: example ${example.id} has no reference solution`);
    const prompt = promptItem(example, tokenizer, true).ids;
    const response = [...tokenizer.encode(example.solution, { addSpecialTokens: false }), eos];
    return { tokens: [...prompt, ...response].slice(0, maxTokens), promptLength: prompt.length };
  });
  const length = Math.max(...sequences.map((s) => s.tokens.length)) - 1;
  const ids = new Int32Array(examples.length * length).fill(pad);
  const targets = new Int32Array(examples.length * length).fill(-1);
  let responseTokens = 0;
  sequences.forEach(({ tokens, promptLength }, row) => {
    for (let t = 0; t < tokens.length - 1; t++) {
      ids[row * length + t] = tokens[t];
      if (t + 1 >= promptLength) {
        targets[row * length + t] = tokens[t + 1];
        responseTokens++;
      }
    }
  });
  return { ids, targets, rows: examples.length, length, responseTokens };
}

/** Trains on `examples` (drawn in order, batchSize at a time) and reports each step. */
export function supervisedFineTune(
  model: DecoderModel,
  tokenizer: Tokenizer,
  examples: Iterator<Example>,
  config: Partial<SftConfig> = {},
  onStep: (step: SftStep) => void = () => {},
): AdamW {
  const c = { ...defaultSftConfig, ...config };
  const optimizer = new AdamW(model.trainableParameters(), { lr: c.lr, weightDecay: c.weightDecay });
  for (let step = 1; step <= c.steps; step++) {
    const start = performance.now();
    const batch: Example[] = [];
    while (batch.length < c.batchSize) {
      const next = examples.next();
      if (next.done) throw new Error(`sft: the example stream ended after ${batch.length} examples of step ${step}`);
      batch.push(next.value);
    }
    const b = buildBatch(batch, tokenizer, c.maxTokens);
    const { loss, norm } = scope(() => {
      const backend = model.backend;
      const logits = model.forward(tensor(b.ids, [b.rows, b.length], { backend }));
      const { logprobs } = tokenLogProbs(logits, tensor(b.targets, [b.rows, b.length], { backend }));
      const loss = scale(neg(sum(logprobs)), 1 / b.responseTokens);
      backward(loss);
      const clip = gradNormScale(optimizer.params, c.maxGradNorm);
      if (!clip.finite) throw new Error(`sft: gradient norm is ${clip.norm} at step ${step}; lower the learning rate`);
      optimizer.update(optimizer.config.lr, clip.scale);
      optimizer.zeroGrad();
      return { loss: loss.item(), norm: clip.norm };
    });
    if (!Number.isFinite(loss)) throw new Error(`sft: loss is ${loss} at step ${step}`);
    onStep({ step, loss, gradNorm: norm, tokens: b.responseTokens, seconds: (performance.now() - start) / 1000 });
  }
  return optimizer;
}
