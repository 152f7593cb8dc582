// The decoder's projections and embedding table. Their parameters come from a
// ParameterFactory: random (a fresh model, initialised as transformers does)
// or uninitialised memory that a checkpoint then fills, so loading a large
// model never spends time drawing random numbers it overwrites.
import { cpu, embedding, empty, linear, Rng, scope, type Backend, type Tensor } from "../tensor/index.js";
import { init, LoraAdapter, Module, parameter, type LoraPass, type Parameter } from "../nn/index.js";

/** How weight matrices are held: f32 (trainable) or bf16 (frozen, half the bytes; compute stays f32). */
export type WeightDtype = "f32" | "bf16";

/** Makes a model's parameters as it is built: randomParameters() or uninitialisedParameters(). */
export interface ParameterFactory {
  /** The device every parameter goes on. */
  readonly backend: Backend;
  /** A weight matrix (normal initialisation). */
  weight(shape: number[], name: string): Parameter;
  /** A bias (zeros). */
  bias(shape: number[], name: string): Parameter;
}

/** Weights ~ N(0, std) from a seeded generator, biases 0, on `backend`'s device (the same values on every device). */
export function randomParameters(seed: number, std: number, backend: Backend = cpu): ParameterFactory {
  const rng = new Rng(seed);
  return {
    backend,
    weight: (shape, name) => init.normal(shape, rng, std, name, backend),
    bias: (shape, name) => init.zeros(shape, name, backend),
  };
}

/** Parameters whose memory is left as allocated: every one must be written before use. Weight matrices are `weights`. */
export function uninitialisedParameters(weights: WeightDtype = "f32", backend: Backend = cpu): ParameterFactory {
  return {
    backend,
    weight: (shape, name) => parameter(empty(shape, weights, backend), name),
    bias: (shape, name) => parameter(empty(shape, "f32", backend), name),
  };
}

/**
 * x W^T (+ b), W stored [out, in] as Hugging Face's nn.Linear stores it, plus
 * a LoRA adapter's update when one is attached and the pass uses adapters.
 * The adapter's parameters are listed as PEFT names them (`<name>.lora_A.weight`).
 */
export class Projection extends Module {
  /** W [out, in]: f32, or bf16 when frozen. */
  readonly weight: Parameter;
  /** b [out], or null for a projection without bias. */
  readonly bias: Parameter | null;
  /** The LoRA adapter attached by addLora, or null. */
  adapter: LoraAdapter | null = null;
  constructor(
    params: ParameterFactory,
    inFeatures: number,
    outFeatures: number,
    hasBias: boolean,
    /** The projection's Hugging Face name, e.g. model.layers.0.self_attn.q_proj. */
    readonly name: string,
  ) {
    super();
    this.weight = params.weight([outFeatures, inFeatures], `${name}.weight`);
    this.bias = hasBias ? params.bias([outFeatures], `${name}.bias`) : null;
  }
  protected children(): Record<string, Parameter | Module | null> {
    return { weight: this.weight, bias: this.bias, lora_A: this.adapter?.lora_A ?? null, lora_B: this.adapter?.lora_B ?? null };
  }
  /** lora: the pass's use of adapters, or null to leave them out. */
  forward(x: Tensor, lora: LoraPass | null = null): Tensor {
    const adapter = this.adapter;
    if (!adapter || !lora) return linear(x, this.weight, this.bias);
    // the frozen output and the update die here, as soon as their sum exists
    return scope(() => adapter.forward(x, linear(x, this.weight, this.bias), lora));
  }
}

/** The token embedding table [vocab, hidden]; tied models also project onto it. */
export class TokenEmbedding extends Module {
  readonly weight: Parameter;
  constructor(params: ParameterFactory, vocab: number, dim: number, name: string) {
    super();
    this.weight = params.weight([vocab, dim], `${name}.weight`);
  }
  protected children() { return { weight: this.weight }; }
  forward(ids: Tensor): Tensor { return embedding(ids, this.weight); }
}
