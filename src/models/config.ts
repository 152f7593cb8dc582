// config.json of Llama, Qwen2/Qwen2.5 and Qwen3 causal language models,
// normalised into one DecoderConfig, and written back in the form
// transformers and vLLM load for each architecture.
import { join } from "node:path";
import { z } from "zod";
import { readJsonObject, type JsonObject } from "../io/json-file.js";
import { parseRopeScaling, ropeScalingToHf, type RopeScaling } from "./rope-scaling.js";

/** The config.json architectures this package loads, trains and saves. */
export const DECODER_ARCHITECTURES = ["LlamaForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM"] as const;
/** One of DECODER_ARCHITECTURES, e.g. "Qwen2ForCausalLM". */
export type DecoderArchitecture = (typeof DECODER_ARCHITECTURES)[number];

const MODEL_TYPE: Record<DecoderArchitecture, string> = {
  LlamaForCausalLM: "llama",
  Qwen2ForCausalLM: "qwen2",
  Qwen3ForCausalLM: "qwen3",
};

/** A weight dtype as config.json's torch_dtype names it. */
export type TorchDtype = "float32" | "bfloat16" | "float16";

/**
 * A decoder-only language model's shape and settings, one form for every
 * supported architecture (config.json's keys, camel-cased and with the
 * architecture's defaults filled in).
 */
export interface DecoderConfig {
  /** Which model family; decides the config.json written back and the biases allowed. */
  architecture: DecoderArchitecture;
  /** Rows of the token embedding and of the output projection. */
  vocabSize: number;
  /** Width of the residual stream. */
  hiddenSize: number;
  /** Width of the SwiGLU MLP. */
  intermediateSize: number;
  /** Number of decoder layers. */
  numLayers: number;
  /** Query heads per attention layer. */
  numHeads: number;
  /** Key/value heads (grouped-query attention when fewer than numHeads). */
  numKvHeads: number;
  /** Width of one attention head (hiddenSize / numHeads unless config.json says; Qwen3's default is 128). */
  headDim: number;
  /** The RMSNorm epsilon (default 1e-6). */
  rmsNormEps: number;
  /** RoPE base frequency (default 10000). */
  ropeTheta: number;
  /** How RoPE frequencies are stretched for long contexts; null for plain RoPE. */
  ropeScaling: RopeScaling | null;
  /** The context length the model was trained for (the served context length; rope scaling reads it). */
  maxPositionEmbeddings: number;
  /** The output projection shares the token embedding matrix. */
  tieWordEmbeddings: boolean;
  /** q_proj, k_proj and v_proj have biases (always for Qwen2). */
  attentionBias: boolean;
  /** o_proj has a bias (Llama and Qwen3 with attention_bias; never Qwen2). */
  attentionOutputBias: boolean;
  /** gate/up/down projections have biases (Llama's mlp_bias). */
  mlpBias: boolean;
  /** RMSNorm over each head of q and k before RoPE (Qwen3). */
  qkNorm: boolean;
  /** Beginning-of-sequence token, or null when the config names none. */
  bosTokenId: number | null;
  /** Tokens that end generation (config.json's eos_token_id, one or several). */
  eosTokenIds: number[];
  /** Padding token, or null when the config names none. */
  padTokenId: number | null;
  /** The dtype the weights were saved in, when the config says. */
  torchDtype: TorchDtype | null;
  /** Standard deviation of the normal initialisation of fresh weights. */
  initializerRange: number;
  /** The config.json object this came from; toHfConfig keeps its other fields. Null for built-in configs. */
  source: JsonObject | null;
}

const positiveInt = z.number().int().positive();
const tokenId = z.number().int().nonnegative();

/** The keys read from config.json; everything else is carried along untouched in `source`. */
const hfConfigSchema = z.looseObject({
  architectures: z.array(z.string()).nullish(),
  model_type: z.string().nullish(),
  vocab_size: positiveInt,
  hidden_size: positiveInt,
  intermediate_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  num_key_value_heads: positiveInt.nullish(),
  head_dim: positiveInt.nullish(),
  hidden_act: z.literal("silu", { error: 'only "silu" (SwiGLU) is supported' }).nullish(),
  rms_norm_eps: z.number().positive().nullish(),
  rope_theta: z.number().positive().nullish(),
  rope_scaling: z.unknown().optional(),
  rope_parameters: z.looseObject({ rope_theta: z.number().positive().nullish() }).nullish(),
  partial_rotary_factor: z.literal(1, { error: "partial rotary embeddings are not supported" }).nullish(),
  max_position_embeddings: positiveInt.nullish(),
  tie_word_embeddings: z.boolean().nullish(),
  attention_bias: z.boolean().nullish(),
  mlp_bias: z.boolean().nullish(),
  use_sliding_window: z.literal(false, { error: "sliding-window attention is not supported" }).nullish(),
  layer_types: z.array(z.literal("full_attention", { error: "only full attention layers are supported" })).nullish(),
  bos_token_id: tokenId.nullish(),
  eos_token_id: z.union([tokenId, z.array(tokenId)]).nullish(),
  pad_token_id: tokenId.nullish(),
  torch_dtype: z.enum(["float32", "bfloat16", "float16"]).nullish(),
  dtype: z.enum(["float32", "bfloat16", "float16"]).nullish(),
  initializer_range: z.number().positive().nullish(),
});

function architectureOf(raw: { architectures?: string[] | null; model_type?: string | null }, where: string): DecoderArchitecture {
  const named = raw.architectures?.[0];
  if (named !== undefined) {
    if ((DECODER_ARCHITECTURES as readonly string[]).includes(named)) return named as DecoderArchitecture;
    throw new Error(`${where}: key "architectures": ${named} is not supported (${DECODER_ARCHITECTURES.join(", ")})`);
  }
  const byModelType = DECODER_ARCHITECTURES.find((arch) => MODEL_TYPE[arch] === raw.model_type);
  if (byModelType === undefined) {
    throw new Error(`${where}: key "model_type": ${JSON.stringify(raw.model_type)} is not a supported model type (llama, qwen2, qwen3)`);
  }
  return byModelType;
}

/** Validates a parsed config.json; `where` (usually its path) starts every error message. */
export function parseDecoderConfig(json: unknown, where = "config.json"): DecoderConfig {
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw new Error(`${where}: expected a JSON object`);
  const parsed = hfConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${where}: key "${issue.path.join(".")}": ${issue.message}`);
  }
  const raw = parsed.data;
  const architecture = architectureOf(raw, where);
  const isQwen3 = architecture === "Qwen3ForCausalLM";
  const numHeads = raw.num_attention_heads;
  const numKvHeads = raw.num_key_value_heads ?? numHeads;
  if (numHeads % numKvHeads !== 0) {
    throw new Error(`${where}: key "num_key_value_heads": ${numKvHeads} does not divide num_attention_heads ${numHeads}`);
  }
  // Qwen3Config's own default head_dim is 128; the others derive it from the hidden size.
  const headDim = raw.head_dim ?? (isQwen3 ? 128 : raw.hidden_size / numHeads);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) {
    throw new Error(`${where}: key "head_dim": hidden_size ${raw.hidden_size} / num_attention_heads ${numHeads} = ${headDim} is not an even integer`);
  }
  const attentionBias = architecture === "Qwen2ForCausalLM" ? true : (raw.attention_bias ?? false);
  const eos = raw.eos_token_id;
  return {
    architecture,
    vocabSize: raw.vocab_size,
    hiddenSize: raw.hidden_size,
    intermediateSize: raw.intermediate_size,
    numLayers: raw.num_hidden_layers,
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: raw.rms_norm_eps ?? 1e-6,
    ropeTheta: raw.rope_parameters?.rope_theta ?? raw.rope_theta ?? 10000,
    ropeScaling: parseRopeScaling(raw.rope_scaling ?? raw.rope_parameters, `${where}: key "rope_scaling"`),
    maxPositionEmbeddings: raw.max_position_embeddings ?? (architecture === "LlamaForCausalLM" ? 2048 : 32768),
    tieWordEmbeddings: raw.tie_word_embeddings ?? false,
    attentionBias,
    attentionOutputBias: architecture !== "Qwen2ForCausalLM" && attentionBias,
    mlpBias: architecture === "LlamaForCausalLM" && (raw.mlp_bias ?? false),
    qkNorm: isQwen3,
    bosTokenId: raw.bos_token_id ?? null,
    eosTokenIds: eos === undefined || eos === null ? [] : Array.isArray(eos) ? eos : [eos],
    padTokenId: raw.pad_token_id ?? null,
    torchDtype: raw.torch_dtype ?? raw.dtype ?? null,
    initializerRange: raw.initializer_range ?? 0.02,
    source: json as JsonObject,
  };
}

/** Reads and validates `dir/config.json`. */
export function loadDecoderConfig(dir: string): DecoderConfig {
  const path = join(dir, "config.json");
  return parseDecoderConfig(readJsonObject(path), path);
}

/** Refuses combinations the architecture's config.json cannot express. */
function checkExpressible(config: DecoderConfig): void {
  const fail = (why: string) => {
    throw new Error(`cannot save as ${config.architecture}: ${why}`);
  };
  if (config.architecture === "Qwen2ForCausalLM") {
    if (!config.attentionBias || config.attentionOutputBias) fail("Qwen2 always has q/k/v biases and no o_proj bias");
    if (config.headDim * config.numHeads !== config.hiddenSize) fail("Qwen2 derives head_dim from hidden_size / num_attention_heads");
  } else if (config.attentionBias !== config.attentionOutputBias) {
    fail("attention_bias covers q/k/v and o_proj together");
  }
  if (config.qkNorm !== (config.architecture === "Qwen3ForCausalLM")) fail("q/k RMSNorm is exactly what Qwen3 adds");
  if (config.mlpBias && config.architecture !== "LlamaForCausalLM") fail("only Llama has mlp_bias");
}

/**
 * The config.json for `config`: the fields of the file it was loaded from
 * (if any), with every field this project reads replaced by the current value.
 */
export function toHfConfig(config: DecoderConfig): JsonObject {
  checkExpressible(config);
  const { architecture } = config;
  const ropeScaling = ropeScalingToHf(config.ropeScaling);
  const out: JsonObject = {
    ...config.source,
    architectures: [architecture],
    model_type: MODEL_TYPE[architecture],
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    intermediate_size: config.intermediateSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    num_key_value_heads: config.numKvHeads,
    hidden_act: "silu",
    max_position_embeddings: config.maxPositionEmbeddings,
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.ropeTheta,
    rope_scaling: ropeScaling,
    tie_word_embeddings: config.tieWordEmbeddings,
    initializer_range: config.initializerRange,
    bos_token_id: config.bosTokenId,
    eos_token_id: config.eosTokenIds.length === 1 ? config.eosTokenIds[0] : config.eosTokenIds.length === 0 ? null : config.eosTokenIds,
    torch_dtype: config.torchDtype ?? "float32",
    use_cache: config.source?.use_cache ?? true,
    attention_dropout: config.source?.attention_dropout ?? 0,
  };
  if (config.padTokenId !== null) out.pad_token_id = config.padTokenId;
  if (out.dtype !== undefined) out.dtype = out.torch_dtype;
  // Files in the newer layout carry RoPE in rope_parameters; keep that form in step.
  if (out.rope_parameters !== undefined) out.rope_parameters = { rope_type: "default", ...ropeScaling, rope_theta: config.ropeTheta };
  if (architecture === "Qwen2ForCausalLM") {
    delete out.head_dim;
    delete out.attention_bias;
  } else {
    out.head_dim = config.headDim;
    out.attention_bias = config.attentionBias;
  }
  if (architecture === "LlamaForCausalLM") out.mlp_bias = config.mlpBias;
  else {
    out.use_sliding_window = false;
    out.sliding_window = null;
    out.max_window_layers = config.numLayers;
  }
  return out;
}

/** generation_config.json: the ids generation stops at and pads with. */
export function toHfGenerationConfig(config: DecoderConfig): JsonObject {
  const out: JsonObject = { bos_token_id: config.bosTokenId, eos_token_id: config.eosTokenIds };
  if (config.padTokenId !== null) out.pad_token_id = config.padTokenId;
  return out;
}

/** Number of weights (embeddings, projections, biases and norms). */
export function parameterCount(config: DecoderConfig): number {
  const { hiddenSize: d, intermediateSize: ffn, numHeads, numKvHeads, headDim, vocabSize } = config;
  const qWidth = numHeads * headDim;
  const kvWidth = numKvHeads * headDim;
  const attention =
    d * (qWidth + 2 * kvWidth) + qWidth * d + (config.attentionBias ? qWidth + 2 * kvWidth : 0) + (config.attentionOutputBias ? d : 0) + (config.qkNorm ? 2 * headDim : 0);
  const mlp = 3 * d * ffn + (config.mlpBias ? 2 * ffn + d : 0);
  const layer = attention + mlp + 2 * d;
  return vocabSize * d * (config.tieWordEmbeddings ? 1 : 2) + config.numLayers * layer + d;
}
