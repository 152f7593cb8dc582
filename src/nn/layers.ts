// The basic layers, named as Hugging Face names their parameters.
import { embedding, linear, rmsNorm, type Backend, type Rng, type Tensor } from "../tensor/index.js";
import { init, Module, type Parameter } from "./module.js";

/** y = x W^T + b, with W [out, in] as torch.nn.Linear stores it. */
export class Linear extends Module {
  /** W [out, in], initialised normal with std 0.02 unless given. */
  readonly weight: Parameter;
  /** b [out] starting at zero, or null when made without a bias. */
  readonly bias: Parameter | null;
  /** backend: the device of the parameters (default the CPU). */
  constructor(inFeatures: number, outFeatures: number, options: { bias?: boolean; rng: Rng; std?: number; name?: string; backend?: Backend }) {
    super();
    const name = options.name ?? "linear";
    this.weight = init.normal([outFeatures, inFeatures], options.rng, options.std ?? 0.02, `${name}.weight`, options.backend);
    this.bias = options.bias ? init.zeros([outFeatures], `${name}.bias`, options.backend) : null;
  }
  protected children(): Record<string, Parameter | Module | null> { return { weight: this.weight, bias: this.bias }; }
  /** x [..., in] -> [..., out]. */
  forward(x: Tensor): Tensor { return linear(x, this.weight, this.bias); }
}

/** Root-mean-square normalisation over the last dimension, times a learned gain (as Llama's RMSNorm). */
export class RMSNorm extends Module {
  /** The gain [dim], starting at one. */
  readonly weight: Parameter;
  constructor(
    dim: number,
    /** Added to the mean square before its root, for stability. */
    readonly eps: number,
    name = "norm",
    backend?: Backend,
  ) {
    super();
    this.weight = init.ones([dim], `${name}.weight`, backend);
  }
  protected children(): Record<string, Parameter | Module | null> { return { weight: this.weight }; }
  /** x / sqrt(mean(x^2) + eps) * weight, over the last dimension. */
  forward(x: Tensor): Tensor { return rmsNorm(x, this.weight, this.eps); }
}

/** A lookup table from token ids to vectors. */
export class Embedding extends Module {
  /** The table [vocab, dim], initialised normal with std 0.02 unless given. */
  readonly weight: Parameter;
  constructor(vocab: number, dim: number, options: { rng: Rng; std?: number; name?: string; backend?: Backend }) {
    super();
    this.weight = init.normal([vocab, dim], options.rng, options.std ?? 0.02, `${options.name ?? "embed"}.weight`, options.backend);
  }
  protected children(): Record<string, Parameter | Module | null> { return { weight: this.weight }; }
  /** ids i32 [...] -> the rows of the table [..., dim]. */
  forward(ids: Tensor): Tensor { return embedding(ids, this.weight); }
}
