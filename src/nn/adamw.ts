// AdamW with decoupled weight decay (as torch.optim.AdamW), one fused native
// update per parameter. Its state is a set of named tensors and a step count,
// so a run can be saved and resumed exactly.
import { adamwStep, keep, zerosLike, type Tensor } from "../tensor/index.js";
import type { Parameter } from "./module.js";

/** AdamW's hyperparameters, as torch.optim.AdamW takes them. */
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

/** An optimizer's state for a checkpoint, as stateDict() returns it. */
export interface AdamWState {
  /** Updates made so far (the t of the bias corrections). */
  step: number;
  /** The moments by name: `<param>.exp_avg` and `<param>.exp_avg_sq`. */
  tensors: Map<string, Tensor>;
}

/** lr 1e-6, betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
export const defaultAdamWConfig: AdamWConfig = { lr: 1e-6, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 };

/**
 * The AdamW optimizer over a fixed list of f32 parameters; its moments are
 * allocated on first update, on each parameter's device, and freed by dispose().
 */
export class AdamW {
  /** The hyperparameters in force: the defaults with the constructor's options over them. */
  readonly config: AdamWConfig;
  private stepCount = 0;
  private readonly moments = new Map<Parameter, { m: Tensor; v: Tensor }>();

  constructor(
    /** The parameters it updates (a module's trainableParameters()). */
    readonly params: Parameter[],
    config: Partial<AdamWConfig> = {},
  ) {
    for (const key of Object.keys(config)) {
      if (!(key in defaultAdamWConfig)) throw new Error(`AdamW: unknown option '${key}' (expected ${Object.keys(defaultAdamWConfig).join(", ")})`);
    }
    this.config = { ...defaultAdamWConfig, ...config };
    const { lr, betas, eps, weightDecay } = this.config;
    if (!(lr >= 0)) throw new Error(`AdamW: lr must be >= 0, got ${lr}`);
    if (!betas.every((b) => b >= 0 && b < 1)) throw new Error(`AdamW: betas must lie in [0, 1), got (${betas.join(", ")})`);
    if (!(eps > 0)) throw new Error(`AdamW: eps must be > 0, got ${eps}`);
    if (!(weightDecay >= 0)) throw new Error(`AdamW: weightDecay must be >= 0, got ${weightDecay}`);
    const frozen = params.find((p) => p.dtype !== "f32");
    if (frozen) throw new Error(`AdamW: parameter '${frozen.name ?? "?"}' is ${frozen.dtype}, which holds frozen weights; train a model with f32 weights`);
  }

  /** Updates made so far. */
  get step(): number {
    return this.stepCount;
  }

  private state(p: Parameter): { m: Tensor; v: Tensor } {
    let s = this.moments.get(p);
    if (!s) {
      // on the parameter's device: the fused update reads all four together
      s = { m: keep(zerosLike(p)), v: keep(zerosLike(p)) };
      this.moments.set(p, s);
    }
    return s;
  }

  /**
   * One update of every parameter that has a gradient; `lr` overrides the configured rate (schedules).
   * The gradients are read times `gradScale`: gradNormScale's factor clips them on the way in.
   */
  update(lr = this.config.lr, gradScale = 1): void {
    this.stepCount++;
    const [b1, b2] = this.config.betas;
    const bc1 = 1 - b1 ** this.stepCount, bc2 = 1 - b2 ** this.stepCount;
    for (const p of this.params) {
      if (!p.grad) continue;
      const { m, v } = this.state(p);
      adamwStep(p, p.grad, m, v, { lr, beta1: b1, beta2: b2, eps: this.config.eps, weightDecay: this.config.weightDecay, biasCorrection1: bc1, biasCorrection2: bc2, gradScale });
    }
  }

  /**
   * Frees the gradients (p.grad becomes null, as torch's zero_grad(set_to_none=True)):
   * the next backward then stores its gradients instead of adding them to zeros,
   * and the block cache hands the same memory back.
   */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  private nameOf(p: Parameter, names: ReadonlyMap<Parameter, string>): string {
    const name = names.get(p) ?? p.name;
    if (!name) throw new Error(`AdamW: parameter ${p.toString()} has no name; pass the module's namedParameters()`);
    return name;
  }

  /**
   * The state as named tensors (`<param>.exp_avg`, `<param>.exp_avg_sq`) and
   * the step count, for checkpoints. `names` is a module's namedParameters()
   * (default: each parameter's own name). The tensors are the optimizer's
   * own: read or save them, don't dispose them.
   */
  stateDict(names: ReadonlyMap<string, Parameter> = new Map()): AdamWState {
    const byParam = invert(names);
    const tensors = new Map<string, Tensor>();
    for (const p of this.params) {
      const s = this.moments.get(p);
      if (!s) continue;
      const name = this.nameOf(p, byParam);
      tensors.set(`${name}.exp_avg`, s.m);
      tensors.set(`${name}.exp_avg_sq`, s.v);
    }
    return { step: this.stepCount, tensors };
  }

  /** Restores a state saved by stateDict() (values are copied); an entry that names no parameter is an error. */
  loadStateDict(state: { step: number; tensors: ReadonlyMap<string, Tensor | Float32Array> }, names: ReadonlyMap<string, Parameter> = new Map()): void {
    const byParam = invert(names);
    const used = new Set<string>();
    for (const p of this.params) {
      const name = this.nameOf(p, byParam);
      const m = state.tensors.get(`${name}.exp_avg`), v = state.tensors.get(`${name}.exp_avg_sq`);
      if (!m && !v) continue;
      if (!m || !v) throw new Error(`AdamW state: '${name}' has ${m ? "exp_avg but no exp_avg_sq" : "exp_avg_sq but no exp_avg"}`);
      const s = this.state(p);
      for (const [key, into, from] of [[`${name}.exp_avg`, s.m, m], [`${name}.exp_avg_sq`, s.v, v]] as const) {
        const values = from instanceof Float32Array ? from : from.toFloat32Array();
        if (values.length !== into.size) throw new Error(`AdamW state: '${key}' has ${values.length} values for a parameter of ${into.size}`);
        into.write(values);
        used.add(key);
      }
    }
    for (const key of state.tensors.keys()) if (!used.has(key)) throw new Error(`AdamW state: '${key}' matches no parameter`);
    this.stepCount = state.step;
  }

  /** Frees the optimizer state. */
  dispose(): void {
    for (const { m, v } of this.moments.values()) { m.dispose(); v.dispose(); }
    this.moments.clear();
  }
}

function invert(names: ReadonlyMap<string, Parameter>): Map<Parameter, string> {
  const out = new Map<Parameter, string>();
  for (const [name, p] of names) out.set(p, name);
  return out;
}
