// The basic layers, named as Hugging Face names their parameters.
import { embedding, linear, rmsNorm, type Rng, type Tensor } from "../tensor/index.js";
import { init, Module, type Parameter } from "./module.js";

export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  constructor(inFeatures: number, outFeatures: number, options: { bias?: boolean; rng: Rng; std?: number; name?: string }) {
    super();
    const name = options.name ?? "linear";
    this.weight = init.normal([outFeatures, inFeatures], options.rng, options.std ?? 0.02, `${name}.weight`);
    this.bias = options.bias ? init.zeros([outFeatures], `${name}.bias`) : null;
  }
  protected children() { return { weight: this.weight, bias: this.bias }; }
  forward(x: Tensor): Tensor { return linear(x, this.weight, this.bias); }
}

export class RMSNorm extends Module {
  readonly weight: Parameter;
  constructor(dim: number, readonly eps: number, name = "norm") {
    super();
    this.weight = init.ones([dim], `${name}.weight`);
  }
  protected children() { return { weight: this.weight }; }
  forward(x: Tensor): Tensor { return rmsNorm(x, this.weight, this.eps); }
}

export class Embedding extends Module {
  readonly weight: Parameter;
  constructor(vocab: number, dim: number, options: { rng: Rng; std?: number; name?: string }) {
    super();
    this.weight = init.normal([vocab, dim], options.rng, options.std ?? 0.02, `${options.name ?? "embed"}.weight`);
  }
  protected children() { return { weight: this.weight }; }
  forward(ids: Tensor): Tensor { return embedding(ids, this.weight); }
}
