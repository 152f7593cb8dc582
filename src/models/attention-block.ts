// Self-attention of one decoder layer: q/k/v projections (with biases in
// Qwen2), Qwen3's RMSNorm over each head of q and k, rotary embeddings, causal
// grouped-query attention over the new keys or a KV cache, and o_proj.
import { Module, RMSNorm, type LoraPass } from "../nn/index.js";
import { attention, reshape, rmsNorm, rope, writeRows, type RopeTables, type Tensor } from "../tensor/index.js";
import type { DecoderConfig } from "./config.js";
import type { KVCache } from "./kv-cache.js";
import { Projection, type ParameterFactory } from "./layers.js";

/** Where a step's tokens sit: shared by every layer of one forward pass. */
export interface AttentionStep {
  rope: RopeTables;
  /** per-row first visible key (left padding), or undefined for none */
  keyStart?: Int32Array;
  /** with a cache: where the new tokens go and how far each row is filled after them */
  cache?: { cache: KVCache; queryStart: Int32Array; kvLength: Int32Array };
}

export class SelfAttention extends Module {
  readonly q_proj: Projection;
  readonly k_proj: Projection;
  readonly v_proj: Projection;
  readonly o_proj: Projection;
  readonly q_norm: RMSNorm | null;
  readonly k_norm: RMSNorm | null;

  constructor(readonly config: DecoderConfig, readonly layer: number, params: ParameterFactory, name: string) {
    super();
    const { hiddenSize, numHeads, numKvHeads, headDim, attentionBias } = config;
    this.q_proj = new Projection(params, hiddenSize, numHeads * headDim, attentionBias, `${name}.q_proj`);
    this.k_proj = new Projection(params, hiddenSize, numKvHeads * headDim, attentionBias, `${name}.k_proj`);
    this.v_proj = new Projection(params, hiddenSize, numKvHeads * headDim, attentionBias, `${name}.v_proj`);
    this.o_proj = new Projection(params, numHeads * headDim, hiddenSize, config.attentionOutputBias, `${name}.o_proj`);
    this.q_norm = config.qkNorm ? new RMSNorm(headDim, config.rmsNormEps, `${name}.q_norm`, params.backend) : null;
    this.k_norm = config.qkNorm ? new RMSNorm(headDim, config.rmsNormEps, `${name}.k_norm`, params.backend) : null;
  }

  protected children() {
    return { q_proj: this.q_proj, k_proj: this.k_proj, v_proj: this.v_proj, o_proj: this.o_proj, q_norm: this.q_norm, k_norm: this.k_norm };
  }

  /** x [B, T, hidden] (already normed) -> [B, T, hidden]. */
  forward(x: Tensor, step: AttentionStep, lora: LoraPass | null = null): Tensor {
    const [B, T] = x.shape;
    const { numHeads, numKvHeads, headDim } = this.config;
    const heads = (p: Projection, count: number, norm: RMSNorm | null) => {
      const h = reshape(p.forward(x, lora), [B, T, count, headDim]);
      return norm ? rmsNorm(h, norm.weight, norm.eps) : h;
    };
    const q = rope(heads(this.q_proj, numHeads, this.q_norm), step.rope);
    const k = rope(heads(this.k_proj, numKvHeads, this.k_norm), step.rope);
    const v = heads(this.v_proj, numKvHeads, null);
    let out: Tensor;
    if (step.cache) {
      const { cache, queryStart, kvLength } = step.cache;
      const keys = cache.keys(this.layer), values = cache.values(this.layer);
      writeRows(keys, k, queryStart);
      writeRows(values, v, queryStart);
      out = attention(q, keys, values, { queryStart, keyStart: step.keyStart, kvLength });
    } else {
      out = attention(q, k, v, { keyStart: step.keyStart });
    }
    return this.o_proj.forward(reshape(out, [B, T, numHeads * headDim]), lora);
  }
}
