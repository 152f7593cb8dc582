// The Llama / Qwen2 / Qwen3 decoder: token embedding, pre-norm layers of
// grouped-query self-attention and a SwiGLU MLP, a final RMSNorm, and the
// output projection (lm_head, or the embedding matrix when tied). Parameter
// names are Hugging Face's, so checkpoints load and save without renaming.
import { Module, RMSNorm, type LoraConfig, type LoraPass, type Parameter } from "../nn/index.js";
import { add, checkpoint, isGradEnabled, linear, needsGrad, ropeTables, scope, selectPositions, shapeString, type Backend, type Rng, type Tensor } from "../tensor/index.js";
import { SelfAttention, type AttentionStep } from "./attention-block.js";
import type { DecoderConfig } from "./config.js";
import type { KVCache } from "./kv-cache.js";
import { Projection, TokenEmbedding, type ParameterFactory } from "./layers.js";
import { GatedMlp } from "./mlp.js";
import { ropeDependsOnSequenceLength, ropeInverseFrequencies, type RopeFrequencies } from "./rope-scaling.js";

/** Options of DecoderModel.hidden(). */
export interface HiddenOptions {
  /** Append the new tokens to this cache and attend to everything it holds. */
  cache?: KVCache;
  /** Per-row first real position (left padding); with a cache it is stored in cache.keyStart. */
  keyStart?: Int32Array;
  /**
   * Keep only each decoder layer's input for backward and run the layer again
   * there (activation checkpointing): less memory, one more forward pass of
   * compute. Default: the model's gradientCheckpointing. No effect without gradients.
   */
  gradientCheckpointing?: boolean;
}

/** Options of DecoderModel.forward(). */
export interface ForwardOptions extends HiddenOptions {
  /** Only the logits of each row's last position: [B, V] instead of [B, T, V]. */
  lastOnly?: boolean;
}

class DecoderLayer extends Module {
  readonly input_layernorm: RMSNorm;
  readonly self_attn: SelfAttention;
  readonly post_attention_layernorm: RMSNorm;
  readonly mlp: GatedMlp;

  constructor(config: DecoderConfig, index: number, params: ParameterFactory) {
    super();
    const name = `model.layers.${index}`;
    this.input_layernorm = new RMSNorm(config.hiddenSize, config.rmsNormEps, `${name}.input_layernorm`, params.backend);
    this.self_attn = new SelfAttention(config, index, params, `${name}.self_attn`);
    this.post_attention_layernorm = new RMSNorm(config.hiddenSize, config.rmsNormEps, `${name}.post_attention_layernorm`, params.backend);
    this.mlp = new GatedMlp(config, params, `${name}.mlp`);
  }

  protected children() {
    return {
      input_layernorm: this.input_layernorm,
      self_attn: this.self_attn,
      post_attention_layernorm: this.post_attention_layernorm,
      mlp: this.mlp,
    };
  }

  forward(x: Tensor, step: AttentionStep, lora: LoraPass | null): Tensor {
    const attended = add(x, this.self_attn.forward(this.input_layernorm.forward(x), step, lora));
    return add(attended, this.mlp.forward(this.post_attention_layernorm.forward(attended), lora));
  }

  /** The seven linear projections, the ones adapters attach to. */
  projections(): Projection[] {
    const { q_proj, k_proj, v_proj, o_proj } = this.self_attn;
    const { gate_proj, up_proj, down_proj } = this.mlp;
    return [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj];
  }
}

/** The adapters a model carries (see addLora): their config, and where each training pass's dropout seed comes from. */
export interface AdapterState {
  /** The adapters' rank, scaling, dropout and target projections. */
  config: LoraConfig;
  /** Draws each gradient-recording pass's dropout seed. */
  dropoutRng: Rng;
}

/** What Hugging Face calls `model`: everything but the output projection. */
class DecoderStack extends Module {
  readonly embed_tokens: TokenEmbedding;
  readonly layers: DecoderLayer[];
  readonly norm: RMSNorm;

  constructor(config: DecoderConfig, params: ParameterFactory) {
    super();
    this.embed_tokens = new TokenEmbedding(params, config.vocabSize, config.hiddenSize, "model.embed_tokens");
    this.layers = Array.from({ length: config.numLayers }, (_, i) => new DecoderLayer(config, i, params));
    this.norm = new RMSNorm(config.hiddenSize, config.rmsNormEps, "model.norm", params.backend);
  }

  protected children() {
    return { embed_tokens: this.embed_tokens, layers: this.layers, norm: this.norm };
  }
}

/**
 * A Llama, Qwen2 or Qwen3 causal language model (built-in ones are small
 * Llamas), with optional LoRA adapters on its projections.
 */
export class DecoderModel extends Module {
  /** The embedding, the decoder layers and the final norm: Hugging Face's `model`. */
  readonly model: DecoderStack;
  /** null when tied: the embedding matrix projects onto the vocabulary. */
  readonly lm_head: Projection | null;
  /** Frequencies for every sequence length (all RoPE variants but "dynamic"). */
  private readonly fixedRope: RopeFrequencies | null;
  /** Activation checkpointing for passes that record gradients (see HiddenOptions). */
  gradientCheckpointing = false;
  /** Set by addLora; the projections hold the adapters themselves. */
  adapters: AdapterState | null = null;
  /** False in the view withoutAdapters() returns. */
  private adaptersOn = true;
  private ownsWeights = true;

  /** A model of `config`'s shape whose parameters `params` makes (randomParameters, or uninitialisedParameters to load into). */
  constructor(
    /** The model's shape and settings. */
    readonly config: DecoderConfig,
    params: ParameterFactory,
  ) {
    super();
    this.model = new DecoderStack(config, params);
    this.lm_head = config.tieWordEmbeddings ? null : new Projection(params, config.hiddenSize, config.vocabSize, false, "lm_head");
    this.fixedRope = ropeDependsOnSequenceLength(config) ? null : ropeInverseFrequencies(config);
  }

  protected children(): Record<string, Parameter | Module | null> {
    return { model: this.model, lm_head: this.lm_head };
  }

  /** True when this model's passes add its adapters' updates (it carries adapters and is no withoutAdapters() view). */
  get usesAdapters(): boolean {
    return this.adapters !== null && this.adaptersOn;
  }

  /** Every decoder layer's projections, layer by layer. */
  projections(): Projection[] {
    return this.model.layers.flatMap((layer) => layer.projections());
  }

  /**
   * This model with its adapters switched off: the base model (a reference
   * policy, the anchor of a KL term) on the very same weights, no copy. The
   * view lists only the base's parameters and owns nothing: its dispose()
   * frees nothing. It stays valid while this model lives.
   */
  withoutAdapters(): DecoderModel {
    const view = Object.assign(Object.create(DecoderModel.prototype) as DecoderModel, this);
    view.adaptersOn = false;
    view.ownsWeights = false;
    return view;
  }

  override namedParameters(prefix = ""): Map<string, Parameter> {
    const all = super.namedParameters(prefix);
    if (this.adaptersOn) return all;
    const adapterWeights = new Set(this.projections().flatMap((p) => p.adapter?.parameters() ?? []));
    return new Map([...all].filter(([, p]) => !adapterWeights.has(p)));
  }

  override dispose(): void {
    if (this.ownsWeights) super.dispose();
  }

  /** The device every parameter is on (the params factory's): what a pass's ids, caches and optimizer state go on. */
  get backend(): Backend {
    return this.outputWeight.backend;
  }

  /** The [vocab, hidden] matrix that maps hidden states to logits. */
  get outputWeight(): Tensor {
    return this.lm_head ? this.lm_head.weight : this.model.embed_tokens.weight;
  }

  /**
   * ids: i32 [B, T] -> hidden states [B, T, hidden] after the final norm.
   * Without a cache the tokens sit at positions 0..T-1 (minus keyStart[b] when left-padded).
   * With a cache they are appended at cache.lengths[b], at positions lengths[b] - keyStart[b] + i,
   * and attend to the row's keys from keyStart on; cache.lengths advances by T.
   */
  hidden(ids: Tensor, options: HiddenOptions = {}): Tensor {
    if (ids.dtype !== "i32" || ids.rank !== 2) throw new Error(`DecoderModel: ids must be i32 [B, T], got ${ids.dtype} ${shapeString(ids.shape)}`);
    const [B, T] = ids.shape;
    const { cache } = options;
    const lora = this.loraPass();
    const keyStart = this.validateStep(B, T, options, lora);
    const queryStart = cache ? Int32Array.from(cache.lengths) : new Int32Array(B);
    const kvLength = queryStart.map((start) => start + T);
    const positions = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const first = keyStart ? keyStart[b] : 0;
      for (let i = 0; i < T; i++) positions[b * T + i] = Math.max(0, queryStart[b] + i - first);
    }
    const out = scope(() => {
      const rope = this.ropeFrequencies(positions);
      const step: AttentionStep = {
        rope: ropeTables(positions, rope.invFreq, rope.attentionScaling, ids),
        keyStart,
        cache: cache ? { cache, queryStart, kvLength } : undefined,
      };
      const checkpointing = !cache && (options.gradientCheckpointing ?? this.gradientCheckpointing);
      let x = this.model.embed_tokens.forward(ids);
      for (const layer of this.model.layers) {
        // Each layer's temporaries die with its scope; autograd keeps what backward needs,
        // or with checkpointing only the layer's input (and the rope tables it reads).
        const next = checkpointing
          ? checkpoint(([input, cos, sin]) => layer.forward(input, { ...step, rope: { cos, sin } }, lora), [x, step.rope.cos, step.rope.sin])
          : scope(() => layer.forward(x, step, lora));
        x.dispose();
        x = next;
      }
      return this.model.norm.forward(x);
    });
    cache?.lengths.set(kvLength);
    return out;
  }

  /** hidden [..., hidden] -> logits [..., vocab]. */
  logits(hidden: Tensor): Tensor {
    return linear(hidden, this.outputWeight);
  }

  /** ids i32 [B, T] -> logits [B, T, vocab], or [B, vocab] for each row's last position with lastOnly. */
  forward(ids: Tensor, options: ForwardOptions = {}): Tensor {
    return scope(() => {
      const hidden = this.hidden(ids, options);
      if (!options.lastOnly) return this.logits(hidden);
      const [B, T] = ids.shape;
      return this.logits(selectPositions(hidden, new Int32Array(B).fill(T - 1)));
    });
  }

  /** How this pass uses the adapters: none (no adapters, or switched off), with dropout when it records gradients. */
  private loraPass(): LoraPass | null {
    if (!this.usesAdapters) return null;
    const { config, dropoutRng } = this.adapters!;
    return { dropoutSeed: isGradEnabled() && config.dropout > 0 ? dropoutRng.nextUint32() : null };
  }

  /** Checks the cache and padding against the batch; returns the step's keyStart (with a cache, a given keyStart is stored in it). */
  private validateStep(B: number, T: number, { cache, keyStart }: HiddenOptions, lora: LoraPass | null): Int32Array | undefined {
    if (keyStart && keyStart.length !== B) throw new Error(`DecoderModel: keyStart has ${keyStart.length} entries for a batch of ${B}`);
    if (cache && (needsGrad(this.outputWeight) || (lora && isGradEnabled()))) {
      throw new Error("DecoderModel: KV-cache steps record no gradient into the cache; run them under noGrad() (score with a full forward pass)");
    }
    if (!cache) {
      if (keyStart?.some((s) => s < 0 || s >= T)) throw new Error(`DecoderModel: keyStart [${keyStart.join(", ")}] must lie in [0, ${T})`);
      return keyStart;
    }
    if (cache.batch !== B) throw new Error(`DecoderModel: the KV cache holds ${cache.batch} rows, ids ${shapeString([B, T])}`);
    if (cache.config.numLayers !== this.config.numLayers || cache.config.numKvHeads !== this.config.numKvHeads || cache.config.headDim !== this.config.headDim) {
      throw new Error("DecoderModel: the KV cache was made for another model's shape");
    }
    for (let b = 0; b < B; b++) {
      if (cache.lengths[b] + T > cache.capacity) {
        throw new Error(`DecoderModel: row ${b} would hold ${cache.lengths[b] + T} positions, past the KV cache's capacity ${cache.capacity}`);
      }
    }
    if (keyStart) cache.keyStart.set(keyStart);
    return cache.keyStart;
  }

  private ropeFrequencies(positions: Int32Array): RopeFrequencies {
    if (this.fixedRope) return this.fixedRope;
    let last = 0;
    for (const p of positions) last = Math.max(last, p);
    return ropeInverseFrequencies(this.config, { seqLen: last + 1 });
  }
}
