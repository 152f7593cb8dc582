// AdamW with decoupled weight decay (as torch.optim.AdamW), one fused native
// update per parameter. Its state is a set of named tensors and a step count,
// so a run can be saved and resumed exactly.
import { keep, zeros, type Tensor } from "../tensor/index.js";
import type { Parameter } from "./module.js";

export interface AdamWConfig {
  /** learning rate (default 1e-6, the A*-PO paper's rate for 1.5B-7B models; tiny models need far more) */
  lr: number;
  /** (beta1, beta2), default (0.9, 0.999) */
  betas: [number, number];
  /** default 1e-8 */
  eps: number;
  /** decoupled weight decay, default 0.01 */
  weightDecay: number;
}

export const defaultAdamWConfig: AdamWConfig = { lr: 1e-6, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 };

export class AdamW {
  readonly config: AdamWConfig;
  private stepCount = 0;
  private readonly moments = new Map<Parameter, { m: Tensor; v: Tensor }>();

  constructor(readonly params: Parameter[], config: Partial<AdamWConfig> = {}) {
    for (const key of Object.keys(config)) {
      if (!(key in defaultAdamWConfig)) throw new Error(`AdamW: unknown option '${key}' (expected ${Object.keys(defaultAdamWConfig).join(", ")})`);
    }
    this.config = { ...defaultAdamWConfig, ...config };
  }

  get step(): number {
    return this.stepCount;
  }

  private state(p: Parameter): { m: Tensor; v: Tensor } {
    let s = this.moments.get(p);
    if (!s) {
      s = { m: keep(zeros(p.shape)), v: keep(zeros(p.shape)) };
      this.moments.set(p, s);
    }
    return s;
  }

  /** One update of every parameter that has a gradient; `lr` overrides the configured rate (schedules). */
  update(lr = this.config.lr): void {
    this.stepCount++;
    const [b1, b2] = this.config.betas;
    const bc1 = 1 - b1 ** this.stepCount, bc2 = 1 - b2 ** this.stepCount;
    for (const p of this.params) {
      if (!p.grad) continue;
      const { m, v } = this.state(p);
      p.backend.adamw(p.addr, p.grad.addr, m.addr, v.addr, p.size, lr, b1, b2, this.config.eps, this.config.weightDecay, bc1, bc2);
    }
  }

  /** Zeroes gradients in place (keeps their memory: the next backward reuses it). */
  zeroGrad(): void {
    for (const p of this.params) if (p.grad) p.backend.zero(p.grad.addr, p.grad.bytes);
  }

  /** Named state tensors (`<param>.exp_avg`, `<param>.exp_avg_sq`) and the step, for checkpoints. */
  stateDict(names: Map<Parameter, string>): { step: number; tensors: Map<string, Tensor> } {
    const tensors = new Map<string, Tensor>();
    for (const p of this.params) {
      const s = this.moments.get(p);
      const name = names.get(p) ?? p.name;
      if (!s || !name) continue;
      tensors.set(`${name}.exp_avg`, s.m);
      tensors.set(`${name}.exp_avg_sq`, s.v);
    }
    return { step: this.stepCount, tensors };
  }

  /** Restores what stateDict() returned (values are copied). */
  loadStateDict(names: Map<Parameter, string>, state: { step: number; tensors: Map<string, Float32Array> }): void {
    this.stepCount = state.step;
    for (const p of this.params) {
      const name = names.get(p) ?? p.name;
      const m = state.tensors.get(`${name}.exp_avg`), v = state.tensors.get(`${name}.exp_avg_sq`);
      if (!m || !v) continue;
      const s = this.state(p);
      s.m.write(m);
      s.v.write(v);
    }
  }

  /** Frees the optimizer state. */
  dispose(): void {
    for (const { m, v } of this.moments.values()) { m.dispose(); v.dispose(); }
    this.moments.clear();
  }
}
