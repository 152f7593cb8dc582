// Rotary position embeddings: the inverse frequencies of each rotated pair of
// a head, for the RoPE variants Hugging Face configs name in "rope_scaling".
// The formulas are transformers' (modeling_rope_utils); values are computed in
// float64 and rounded once to float32.
import { z } from "zod";

/**
 * A RoPE variant for contexts longer than the model was trained on: config.json's
 * rope_scaling, with its keys camel-cased. `type` tells the variants apart.
 */
export type RopeScaling =
  /** Positions divided by `factor` (equivalently, every frequency). */
  | {
      /** rope_type "linear". */
      type: "linear";
      /** How many times longer the context is stretched. */
      factor: number;
    }
  /** NTK-aware: the base grows with the sequence length once it passes maxPositionEmbeddings. */
  | {
      /** rope_type "dynamic". */
      type: "dynamic";
      /** How fast the base grows with the sequence length. */
      factor: number;
    }
  /** Llama 3.1: low frequencies divided by `factor`, high ones kept, a smooth ramp between. */
  | {
      /** rope_type "llama3". */
      type: "llama3";
      /** Divides the frequencies whose wavelength exceeds originalMaxPositionEmbeddings / lowFreqFactor. */
      factor: number;
      /** Wavelengths above originalMaxPositionEmbeddings / lowFreqFactor are scaled fully. */
      lowFreqFactor: number;
      /** Wavelengths below originalMaxPositionEmbeddings / highFreqFactor are kept; must exceed lowFreqFactor. */
      highFreqFactor: number;
      /** The context length the model was first trained for. */
      originalMaxPositionEmbeddings: number;
    }
  /** YaRN: per-pair blend of interpolated and extrapolated frequencies, plus a cos/sin scale. */
  | {
      /** rope_type "yarn". */
      type: "yarn";
      /** Context stretch; null derives it as maxPositionEmbeddings / originalMaxPositionEmbeddings. */
      factor: number | null;
      /** The context length the model was first trained for; null means maxPositionEmbeddings. */
      originalMaxPositionEmbeddings: number | null;
      /** The cos/sin scale itself; null computes it from factor (and mscale, mscaleAllDim). */
      attentionFactor: number | null;
      /** Pairs rotating more than this many times over the original context keep their frequency (null: 32). */
      betaFast: number | null;
      /** Pairs rotating fewer than this many times are fully interpolated (null: 1). */
      betaSlow: number | null;
      /** With mscaleAllDim, sets the cos/sin scale as mscale(factor, mscale) / mscale(factor, mscaleAllDim) (DeepSeek's form). */
      mscale: number | null;
      /** See mscale. */
      mscaleAllDim: number | null;
      /** Round the blend's pair bounds to whole pairs (default true). */
      truncate: boolean;
    };

/** The name of a RoPE variant: "linear", "dynamic", "llama3" or "yarn". */
export type RopeType = RopeScaling["type"];

const positive = z.number().positive();
const optionalPositive = positive.nullish();

/** rope_scaling as written in config.json: "rope_type" (older files: "type") picks the variant. */
const hfRopeScaling = z.discriminatedUnion("rope_type", [
  z.looseObject({ rope_type: z.literal("default") }),
  z.looseObject({ rope_type: z.literal("linear"), factor: positive }),
  z.looseObject({ rope_type: z.literal("dynamic"), factor: positive }),
  z.looseObject({
    rope_type: z.literal("llama3"),
    factor: positive,
    low_freq_factor: positive,
    high_freq_factor: positive,
    original_max_position_embeddings: z.number().int().positive(),
  }),
  z.looseObject({
    rope_type: z.literal("yarn"),
    factor: optionalPositive,
    original_max_position_embeddings: z.number().int().positive().nullish(),
    attention_factor: optionalPositive,
    beta_fast: optionalPositive,
    beta_slow: optionalPositive,
    mscale: optionalPositive,
    mscale_all_dim: optionalPositive,
    truncate: z.boolean().nullish(),
  }),
]);

/** Parses config.json's rope_scaling (null for plain RoPE); `where` prefixes error messages. */
export function parseRopeScaling(raw: unknown, where: string): RopeScaling | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new Error(`${where}: must be an object or null`);
  const withType = raw as Record<string, unknown>;
  const ropeType = withType.rope_type ?? withType.type;
  const parsed = hfRopeScaling.safeParse({ ...withType, rope_type: ropeType });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path.length > 0 ? `.${issue.path.join(".")}` : "";
    if (issue.path[0] === "rope_type") {
      throw new Error(`${where}.rope_type: ${JSON.stringify(ropeType)} is not supported (default, linear, dynamic, llama3, yarn)`);
    }
    throw new Error(`${where}${key}: ${issue.message}`);
  }
  const s = parsed.data;
  switch (s.rope_type) {
    case "default":
      return null;
    case "linear":
    case "dynamic":
      return { type: s.rope_type, factor: s.factor };
    case "llama3":
      if (s.high_freq_factor <= s.low_freq_factor) throw new Error(`${where}.high_freq_factor: must be greater than low_freq_factor`);
      return {
        type: "llama3",
        factor: s.factor,
        lowFreqFactor: s.low_freq_factor,
        highFreqFactor: s.high_freq_factor,
        originalMaxPositionEmbeddings: s.original_max_position_embeddings,
      };
    case "yarn":
      if (s.factor == null && s.original_max_position_embeddings == null) {
        throw new Error(`${where}.factor: yarn needs a factor or original_max_position_embeddings`);
      }
      return {
        type: "yarn",
        factor: s.factor ?? null,
        originalMaxPositionEmbeddings: s.original_max_position_embeddings ?? null,
        attentionFactor: s.attention_factor ?? null,
        betaFast: s.beta_fast ?? null,
        betaSlow: s.beta_slow ?? null,
        mscale: s.mscale ?? null,
        mscaleAllDim: s.mscale_all_dim ?? null,
        truncate: s.truncate ?? true,
      };
  }
}

/** The rope_scaling object to write into config.json (null for plain RoPE). */
export function ropeScalingToHf(scaling: RopeScaling | null): Record<string, unknown> | null {
  if (scaling === null) return null;
  switch (scaling.type) {
    case "linear":
    case "dynamic":
      return { rope_type: scaling.type, factor: scaling.factor };
    case "llama3":
      return {
        rope_type: "llama3",
        factor: scaling.factor,
        low_freq_factor: scaling.lowFreqFactor,
        high_freq_factor: scaling.highFreqFactor,
        original_max_position_embeddings: scaling.originalMaxPositionEmbeddings,
      };
    case "yarn": {
      const out: Record<string, unknown> = { rope_type: "yarn" };
      const optional: Array<[string, number | null]> = [
        ["factor", scaling.factor],
        ["original_max_position_embeddings", scaling.originalMaxPositionEmbeddings],
        ["attention_factor", scaling.attentionFactor],
        ["beta_fast", scaling.betaFast],
        ["beta_slow", scaling.betaSlow],
        ["mscale", scaling.mscale],
        ["mscale_all_dim", scaling.mscaleAllDim],
      ];
      for (const [key, value] of optional) if (value !== null) out[key] = value;
      if (!scaling.truncate) out.truncate = false;
      return out;
    }
  }
}

/** What RoPE needs from a model's configuration. */
export interface RopeConfig {
  /** Width of one attention head; even. */
  headDim: number;
  /** RoPE base frequency. */
  ropeTheta: number;
  /** The variant, or null for plain RoPE. */
  ropeScaling: RopeScaling | null;
  /** The model's context length. */
  maxPositionEmbeddings: number;
}

/** What ropeInverseFrequencies() computes: the inputs of ropeTables(). */
export interface RopeFrequencies {
  /** headDim / 2 inverse frequencies: pair i of a head rotates by position * invFreq[i]. */
  invFreq: Float32Array;
  /** Multiplies cos and sin (YaRN's attention temperature; 1 otherwise). */
  attentionScaling: number;
}

/** Only "dynamic" changes with the sequence length; the others can be computed once. */
export function ropeDependsOnSequenceLength(config: RopeConfig): boolean {
  return config.ropeScaling?.type === "dynamic";
}

/** base^(-2i/dim) for i < dim/2, the plain RoPE frequencies, in float64. */
function defaultFrequencies(base: number, dim: number): Float64Array {
  return Float64Array.from({ length: dim / 2 }, (_, i) => 1 / base ** ((2 * i) / dim));
}

/**
 * The inverse frequencies and cos/sin scale for `config`. `seqLen` (the
 * number of positions in use) matters only for "dynamic", where frequencies
 * change once it exceeds maxPositionEmbeddings; it defaults to that length.
 */
export function ropeInverseFrequencies(config: RopeConfig, options: { seqLen?: number } = {}): RopeFrequencies {
  const { headDim: dim, ropeTheta: base, ropeScaling: scaling, maxPositionEmbeddings } = config;
  if (!Number.isInteger(dim) || dim <= 0 || dim % 2 !== 0) throw new Error(`RoPE needs an even head dimension, got ${dim}`);
  const finish = (freqs: Float64Array, attentionScaling = 1): RopeFrequencies => ({ invFreq: Float32Array.from(freqs), attentionScaling });
  if (scaling === null) return finish(defaultFrequencies(base, dim));
  switch (scaling.type) {
    case "linear":
      return finish(defaultFrequencies(base, dim).map((f) => f / scaling.factor));
    case "dynamic": {
      const seqLen = Math.max(options.seqLen ?? maxPositionEmbeddings, maxPositionEmbeddings);
      const grownBase = base * ((scaling.factor * seqLen) / maxPositionEmbeddings - (scaling.factor - 1)) ** (dim / (dim - 2));
      return finish(defaultFrequencies(grownBase, dim));
    }
    case "llama3":
      return finish(llama3Frequencies(defaultFrequencies(base, dim), scaling));
    case "yarn":
      return yarnFrequencies(base, dim, maxPositionEmbeddings, scaling);
  }
}

function llama3Frequencies(freqs: Float64Array, s: Extract<RopeScaling, { type: "llama3" }>): Float64Array {
  const lowFreqWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highFreqWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  return freqs.map((freq) => {
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highFreqWavelen) return freq;
    if (wavelen > lowFreqWavelen) return freq / s.factor;
    const smooth = (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return (1 - smooth) * (freq / s.factor) + smooth * freq;
  });
}

function yarnFrequencies(base: number, dim: number, maxPositionEmbeddings: number, s: Extract<RopeScaling, { type: "yarn" }>): RopeFrequencies {
  const originalLength = s.originalMaxPositionEmbeddings ?? maxPositionEmbeddings;
  const factor = s.factor ?? maxPositionEmbeddings / originalLength;
  const mscale = (scale: number, m = 1) => (scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1);
  const attentionScaling =
    s.attentionFactor ?? (s.mscale !== null && s.mscaleAllDim !== null ? mscale(factor, s.mscale) / mscale(factor, s.mscaleAllDim) : mscale(factor));

  // The pair index at which a wavelength fits `rotations` times into the original context.
  const pairForRotations = (rotations: number) => (dim * Math.log(originalLength / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
  let low = pairForRotations(s.betaFast ?? 32);
  let high = pairForRotations(s.betaSlow ?? 1);
  if (s.truncate) {
    low = Math.floor(low);
    high = Math.ceil(high);
  }
  low = Math.max(low, 0);
  high = Math.min(high, dim - 1);
  if (low === high) high += 0.001;

  const extrapolated = defaultFrequencies(base, dim);
  const blended = extrapolated.map((freq, i) => {
    // 1 below `low` (keep the original frequency), 0 above `high` (interpolate by factor), linear between.
    const keep = 1 - Math.min(1, Math.max(0, (i - low) / (high - low)));
    return (freq / factor) * (1 - keep) + freq * keep;
  });
  return { invFreq: Float32Array.from(blended), attentionScaling };
}
