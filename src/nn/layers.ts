// The basic layers, named as Hugging Face names their parameters.
import { embedding, linear, rmsNorm, type Backend, type Rng, type Tensor } from "../tensor/index.js";
import { init, Module, type Parameter } from "./module.js";

export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  /** backend: the device of the parameters (default the CPU). */
  constructor(inFeatures: number, outFeatures: number, options: { bias?: boolean; rng: Rng; std?: number; name?: string; backend?: Backend }) {
    super();
    const name = options.name ?? "linear";
    this.weight = init.normal([outFeatures, inFeatures], options.rng, options.std ?? 0.02, `${name}.weight`, options.backend);
    this.bias = options.bias ? init.zeros([outFeatures], `${name}.bias`, options.backend) : null;
  }
  protected children() { return { weight: this.weight, bias: this.bias }; }
  forward(x: Tensor): Tensor { return linear(x, this.weight, this.bias); }
}

export class RMSNorm extends Module {
  readonly weight: Parameter;
  constructor(dim: number, readonly eps: number, name = "norm", backend?: Backend) {
    super();
    this.weight = init.ones([dim], `${name}.weight`, backend);
  }
  protected children() { return { weight: this.weight }; }
  forward(x: Tensor): Tensor { return rmsNorm(x, this.weight, this.eps); }
}

export class Embedding extends Module {
  readonly weight: Parameter;
  constructor(vocab: number, dim: number, options: { rng: Rng; std?: number; name?: string; backend?: Backend }) {
    super();
    this.weight = init.normal([vocab, dim], options.rng, options.std ?? 0.02, `${options.name ?? "embed"}.weight`, options.backend);
  }
  protected children() { return { weight: this.weight }; }
  forward(ids: Tensor): Tensor { return embedding(ids, this.weight); }
}
