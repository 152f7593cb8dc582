// Low-rank adapters (LoRA) as PEFT defines them: a frozen projection's output
// W x plus (alpha / r) B A dropout(x), with A [r, in] and B [out, r] the only
// weights that train. B starts at zero, so a fresh adapter changes nothing;
// A starts as PyTorch initialises a Linear layer (Kaiming-uniform, a = sqrt 5).
import { z } from "zod";
import { add, linear, matmul, scale, uniform, zeros, type Backend, type Rng, type Tensor } from "../tensor/index.js";
import { Module, parameter, type Parameter } from "./module.js";

/** The projections of a Llama/Qwen decoder layer that can take adapters, by their Hugging Face names. */
export const LORA_TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] as const;
/** The Hugging Face name of a projection that can take an adapter, e.g. "q_proj". */
export type LoraTargetModule = (typeof LORA_TARGET_MODULES)[number];

/** How adapters are added to a model (PEFT's LoraConfig, in this package's names). */
export interface LoraConfig {
  /** rank of the update (default 16) */
  r: number;
  /** the update is scaled by alpha / r (default 32) */
  alpha: number;
  /** dropout on each adapter's input, in passes that record gradients only (default 0.05) */
  dropout: number;
  /** the projections that get adapters (default all seven) */
  targetModules: LoraTargetModule[];
  /** rank-stabilised scaling alpha / sqrt(r) instead of alpha / r (PEFT's use_rslora; default false) */
  rslora: boolean;
}

/** r 16, alpha 32, dropout 0.05, all seven projections, no rsLoRA. */
export const defaultLoraConfig: LoraConfig = { r: 16, alpha: 32, dropout: 0.05, targetModules: [...LORA_TARGET_MODULES], rslora: false };

const loraOptionsSchema = z.strictObject({
  r: z.number().int().positive(),
  alpha: z.number().positive(),
  dropout: z.number().min(0).lt(1),
  targetModules: z.array(z.enum(LORA_TARGET_MODULES)).nonempty(),
  rslora: z.boolean(),
}).partial();

/** The defaults with `options` over them, validated; `where` starts every error message. */
export function loraConfig(options: Partial<LoraConfig> = {}, where = "LoRA"): LoraConfig {
  const parsed = loraOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.code === "unrecognized_keys") throw new Error(`${where}: unknown option "${issue.keys[0]}" (expected ${Object.keys(defaultLoraConfig).join(", ")})`);
    throw new Error(`${where}: option "${issue.path.join(".")}": ${issue.message}`);
  }
  const config = { ...defaultLoraConfig, ...parsed.data };
  // in the decoder's own order, once each
  return { ...config, targetModules: LORA_TARGET_MODULES.filter((m) => config.targetModules.includes(m)) };
}

/** The factor on the adapters' update: alpha / r, or alpha / sqrt(r) with rslora. */
export function loraScaling(config: Pick<LoraConfig, "r" | "alpha" | "rslora">): number {
  return config.rslora ? config.alpha / Math.sqrt(config.r) : config.alpha / config.r;
}

/** How one forward pass uses the adapters. */
export interface LoraPass {
  /**
   * null for no dropout (passes without gradients), else the pass's seed, from
   * which every adapter derives its own mask; a recomputed layer given the
   * same pass draws the same masks.
   */
  dropoutSeed: number | null;
}

/** One factor of the update: a bias-free linear map named as PEFT names it (lora_A.weight, lora_B.weight). */
class LoraFactor extends Module {
  constructor(readonly weight: Parameter) {
    super();
  }
  protected children() { return { weight: this.weight }; }
}

/**
 * The adapted projection's output: base + scaling B A dropout(x), where base
 * is the frozen projection's output for x, a is A [r, in] and b is B [out, r];
 * dropout (p, seed) or none.
 */
export function loraForward(x: Tensor, base: Tensor, a: Tensor, b: Tensor, scaling: number, drop: { p: number; seed: number } | null): Tensor {
  // scaled at rank r, the narrowest point; the dropped-out input is never kept (x is, once for every adapter reading it)
  const low = scale(linear(x, a, null, { inputDropout: drop }), scaling);
  return add(base, linear(low, b));
}

/** Distinct per adapter and per pass; below 2^53 for a 32-bit pass seed and up to 2^20 adapters. */
function adapterSeed(passSeed: number, index: number): number {
  return passSeed * 2 ** 20 + index;
}

/** Where an adapter goes: the projection it adapts. */
export interface LoraAdapterShape {
  /** The projection's input width (A's columns). */
  inFeatures: number;
  /** The projection's output width (B's rows). */
  outFeatures: number;
  /** the projection's name, e.g. model.layers.0.self_attn.q_proj */
  name: string;
  /** this adapter's number within its model (its dropout masks differ from every other's) */
  index: number;
  /** The device of the adapter's weights (the projection's own). */
  backend: Backend;
}

/**
 * A LoRA adapter of one frozen projection: the trainable factors A [r, in] and
 * B [out, r], whose scaled product is added to the projection's output.
 */
export class LoraAdapter extends Module {
  /** The down projection A [r, in], saved as `<projection>.lora_A.weight`. */
  readonly lora_A: LoraFactor;
  /** The up projection B [out, r], saved as `<projection>.lora_B.weight`; zero when fresh. */
  readonly lora_B: LoraFactor;
  /** The factor on B A x (loraScaling() of the config). */
  readonly scaling: number;
  /** Dropout probability on the adapter's input in passes that record gradients. */
  readonly dropout: number;
  /** This adapter's number within its model (its dropout masks differ from every other's). */
  readonly index: number;

  /** A fresh adapter: A from `rng`, B zero. */
  constructor(shape: LoraAdapterShape, config: LoraConfig, rng: Rng) {
    super();
    const { inFeatures, outFeatures, name, backend } = shape;
    const bound = 1 / Math.sqrt(inFeatures);
    this.lora_A = new LoraFactor(parameter(uniform([config.r, inFeatures], rng, -bound, bound, { backend }), `${name}.lora_A.weight`));
    this.lora_B = new LoraFactor(parameter(zeros([outFeatures, config.r], { backend }), `${name}.lora_B.weight`));
    this.scaling = loraScaling(config);
    this.dropout = config.dropout;
    this.index = shape.index;
  }

  protected children(): Record<string, Parameter | Module | null> { return { lora_A: this.lora_A, lora_B: this.lora_B }; }

  /** base + scaling B A dropout(x), where `base` is the frozen projection's output for x. */
  forward(x: Tensor, base: Tensor, pass: LoraPass): Tensor {
    const drop = pass.dropoutSeed === null ? null : { p: this.dropout, seed: adapterSeed(pass.dropoutSeed, this.index) };
    return loraForward(x, base, this.lora_A.weight, this.lora_B.weight, this.scaling, drop);
  }

  /** The update as a weight to fold into the projection: scaling B A, [out, in]. */
  delta(): Tensor {
    return scale(matmul(this.lora_B.weight, this.lora_A.weight), this.scaling);
  }
}
