// The decoder's projections and embedding table. Their parameters come from a
// ParameterFactory: random (a fresh model, initialised as transformers does)
// or uninitialised memory that a checkpoint then fills, so loading a large
// model never spends time drawing random numbers it overwrites.
import { embedding, empty, linear, randn, Rng, type Tensor, zeros } from "../tensor/index.js";
import { Module, parameter, type Parameter } from "../nn/index.js";

/** How weight matrices are held: f32 (trainable) or bf16 (frozen, half the bytes; compute stays f32). */
export type WeightDtype = "f32" | "bf16";

export interface ParameterFactory {
  /** A weight matrix (normal initialisation). */
  weight(shape: number[], name: string): Parameter;
  /** A bias (zeros). */
  bias(shape: number[], name: string): Parameter;
}

/** Weights ~ N(0, std) from a seeded generator, biases 0. */
export function randomParameters(seed: number, std: number): ParameterFactory {
  const rng = new Rng(seed);
  return {
    weight: (shape, name) => parameter(randn(shape, rng, std), name),
    bias: (shape, name) => parameter(zeros(shape), name),
  };
}

/** Parameters whose memory is left as allocated: every one must be written before use. Weight matrices are `weights`. */
export function uninitialisedParameters(weights: WeightDtype = "f32"): ParameterFactory {
  return {
    weight: (shape, name) => parameter(empty(shape, weights), name),
    bias: (shape, name) => parameter(empty(shape), name),
  };
}

/** x W^T (+ b), W stored [out, in] as Hugging Face's nn.Linear stores it. */
export class Projection extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  constructor(params: ParameterFactory, inFeatures: number, outFeatures: number, hasBias: boolean, name: string) {
    super();
    this.weight = params.weight([outFeatures, inFeatures], `${name}.weight`);
    this.bias = hasBias ? params.bias([outFeatures], `${name}.bias`) : null;
  }
  protected children() { return { weight: this.weight, bias: this.bias }; }
  forward(x: Tensor): Tensor { return linear(x, this.weight, this.bias); }
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
