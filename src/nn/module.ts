// Parameters and modules. A module lists its parameters under dotted
// Hugging Face-style names; parameters live outside every scope and are
// freed by dispose().
import { cpu, keep, randn, type Backend, type Rng, type Tensor, zeros, full } from "../tensor/index.js";

/** A tensor a module owns and saves under its name: trainable when f32, frozen when bf16. */
export type Parameter = Tensor;

/** Marks a tensor as a parameter owned by its module: trainable when f32, frozen when bf16. */
export function parameter(t: Tensor, name: string): Parameter {
  keep(t);
  t.requiresGrad = t.dtype === "f32";
  t.name = name;
  return t;
}

/** A layer or model: a tree of parameters and child modules, named as Hugging Face names them. */
export abstract class Module {
  /** This module's own parameters and child modules, by attribute name. */
  protected abstract children(): Record<string, Parameter | Module | null | Array<Module>>;

  /** Every parameter under its dotted name (e.g. `model.layers.0.self_attn.q_proj.weight`). */
  namedParameters(prefix = ""): Map<string, Parameter> {
    const out = new Map<string, Parameter>();
    for (const [key, child] of Object.entries(this.children())) {
      const name = prefix ? `${prefix}.${key}` : key;
      if (child === null) continue;
      if (Array.isArray(child)) child.forEach((m, i) => m.namedParameters(`${name}.${i}`).forEach((p, n) => out.set(n, p)));
      else if (child instanceof Module) child.namedParameters(name).forEach((p, n) => out.set(n, p));
      else if (!out.has(name) && ![...out.values()].includes(child)) out.set(name, child);
    }
    return out;
  }

  /** Every parameter, trainable or not, in namedParameters() order. */
  parameters(): Parameter[] {
    return [...this.namedParameters().values()];
  }

  /** The parameters that take gradients: what an optimizer updates (only the adapters of a LoRA model). */
  trainableParameters(): Parameter[] {
    return [...this.namedTrainableParameters().values()];
  }

  /** The trainable parameters under their dotted names, as namedParameters() names them. */
  namedTrainableParameters(prefix = ""): Map<string, Parameter> {
    return new Map([...this.namedParameters(prefix)].filter(([, p]) => p.requiresGrad));
  }

  /** Stops every parameter from taking gradients (a reference model, a sampler's copy); returns this. */
  freeze(): this {
    for (const p of this.parameters()) {
      p.requiresGrad = false;
      p.grad?.dispose();
      p.grad = null;
    }
    return this;
  }

  /** Frees every parameter (and its gradient). */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
  }
}

/** Initialisers used by the built-in models (normal with std, or constants), on `backend`'s device. */
export const init = {
  /** Normal values with mean 0 and standard deviation `std`. */
  normal: (shape: number[], rng: Rng, std: number, name: string, backend: Backend = cpu) => parameter(randn(shape, rng, std, 0, { backend }), name),
  /** All zeros. */
  zeros: (shape: number[], name: string, backend: Backend = cpu) => parameter(zeros(shape, { backend }), name),
  /** All ones. */
  ones: (shape: number[], name: string, backend: Backend = cpu) => parameter(full(shape, 1, { backend }), name),
};
