// The SwiGLU feed-forward block: down(silu(gate(x)) * up(x)).
import { Module, type LoraPass } from "../nn/index.js";
import { swiglu, type Tensor } from "../tensor/index.js";
import type { DecoderConfig } from "./config.js";
import { Projection, type ParameterFactory } from "./layers.js";

export class GatedMlp extends Module {
  readonly gate_proj: Projection;
  readonly up_proj: Projection;
  readonly down_proj: Projection;

  constructor(config: DecoderConfig, params: ParameterFactory, name: string) {
    super();
    const { hiddenSize, intermediateSize, mlpBias } = config;
    this.gate_proj = new Projection(params, hiddenSize, intermediateSize, mlpBias, `${name}.gate_proj`);
    this.up_proj = new Projection(params, hiddenSize, intermediateSize, mlpBias, `${name}.up_proj`);
    this.down_proj = new Projection(params, intermediateSize, hiddenSize, mlpBias, `${name}.down_proj`);
  }

  protected children() {
    return { gate_proj: this.gate_proj, up_proj: this.up_proj, down_proj: this.down_proj };
  }

  forward(x: Tensor, lora: LoraPass | null = null): Tensor {
    return this.down_proj.forward(swiglu(this.gate_proj.forward(x, lora), this.up_proj.forward(x, lora)), lora);
  }
}
