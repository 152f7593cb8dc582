// Reverse-mode autograd on a tape of records. An op that has an input with
// requiresGrad (while gradients are enabled) records its inputs, the tensors
// its backward needs (held by reference count, so scopes may dispose the
// originals), and a function from output gradients to input gradients.
import { sameBackend, Storage, Tensor } from "./tensor.js";
import { scope, trackNode, tracked, untracked } from "./scope.js";
import { shapeString } from "./dtype.js";

let gradDisabled = 0;

/** Runs fn without recording anything for autograd (inference, reference policies). */
export function noGrad<T>(fn: () => T): T {
  gradDisabled++;
  try {
    return fn();
  } finally {
    gradDisabled--;
  }
}

/** Runs fn with gradients recorded again, inside code that switched them off (a backward pass that recomputes). */
function withGrad<T>(fn: () => T): T {
  const outer = gradDisabled;
  gradDisabled = 0;
  try {
    return fn();
  } finally {
    gradDisabled = outer;
  }
}

/** Whether ops record for autograd now (false inside noGrad()). */
export function isGradEnabled(): boolean {
  return gradDisabled === 0;
}

/** True when an op on these inputs must be recorded. */
export function needsGrad(...inputs: Array<Tensor | null | undefined>): boolean {
  if (gradDisabled > 0) return false;
  for (const t of inputs) if (t?.requiresGrad) return true;
  return false;
}

/**
 * An op's backward: from the gradients of its outputs (null where an output
 * got none) and the tensors it saved, the gradients of its inputs (null for an
 * input that needs none).
 */
export type BackwardFn = (grads: ReadonlyArray<Tensor | null>, saved: readonly Tensor[]) => Array<Tensor | null>;

/**
 * One op's record on the autograd tape: its inputs, its own handles on the
 * tensors its backward needs, and the backward itself. Made by record().
 */
export class GradNode {
  private savedHandles: Tensor[];
  /** Set once the saved tensors were freed; the record can no longer run. */
  released = false;

  constructor(
    /** The op's name, for messages. */
    readonly name: string,
    /** The op's inputs, in the order its backward returns their gradients (null where an input is absent). */
    readonly inputs: ReadonlyArray<Tensor | null>,
    saved: readonly Tensor[],
    /** How many tensors the op produced. */
    readonly outputs: number,
    private readonly fn: BackwardFn,
  ) {
    // Own handles on the saved memory: the originals may be disposed by their scope.
    this.savedHandles = saved.map((t) => {
      t.storage.retain();
      return new Tensor(t.storage, t.shape, t.dtype, t.byteOffset);
    });
  }

  /** Runs the backward on the outputs' gradients; throws once the record was released. */
  run(grads: ReadonlyArray<Tensor | null>): Array<Tensor | null> {
    if (this.released) throw new Error(`backward: the record of '${this.name}' was already released (backward called twice, or its scope ended)`);
    return this.fn(grads, this.savedHandles);
  }

  /** Frees the saved tensors. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const t of this.savedHandles) t.dispose();
    this.savedHandles = [];
  }
}

/** Records `outputs` as produced by an op; call only when needsGrad(inputs). */
export function record(name: string, outputs: readonly Tensor[], inputs: ReadonlyArray<Tensor | null>, saved: readonly Tensor[], fn: BackwardFn): void {
  const node = new GradNode(name, inputs, saved, outputs.length, fn);
  outputs.forEach((t, i) => {
    t.requiresGrad = true;
    t.creator = node;
    t.outputIndex = i;
  });
  trackNode(node);
}

function topologicalOrder(root: GradNode): GradNode[] {
  const order: GradNode[] = [];
  const state = new Map<GradNode, number>();
  const stack: Array<[GradNode, number]> = [[root, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [node, next] = top;
    if (next === 0) {
      if (state.has(node)) { stack.pop(); continue; }
      state.set(node, 1);
    }
    if (next < node.inputs.length) {
      top[1]++;
      const child = node.inputs[next]?.creator;
      if (child && !state.has(child)) stack.push([child, 0]);
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order.reverse();
}

function accumulate(into: Tensor, g: Tensor): void {
  sameBackend("backward", into, g);
  into.backend.axpby(into.addr, g.addr, into.size, 1, 1);
  g.dispose();
}

/**
 * Back-propagates from `root` (a one-element tensor, or any tensor with an
 * explicit seed gradient) into the `.grad` of every leaf with requiresGrad,
 * adding to gradients already there. Records are released as they are used.
 */
export function backward(root: Tensor, seed?: Tensor): void {
  if (!root.creator) throw new Error("backward: the tensor does not depend on anything that requires a gradient");
  if (!seed && root.size !== 1) throw new Error(`backward: root has shape ${shapeString(root.shape)}; pass a seed gradient for non-scalar roots`);
  untracked(() => noGrad(() => {
    const pending = new Map<GradNode, Array<Tensor | null>>();
    const start = root.creator!;
    const first: Array<Tensor | null> = new Array(start.outputs).fill(null);
    if (seed) {
      if (seed.size !== root.size) throw new Error(`backward: seed ${shapeString(seed.shape)} does not match root ${shapeString(root.shape)}`);
      sameBackend("backward", root, seed);
      // a copy: gradients are accumulated in place, and the caller's seed must not change
      const copy = new Tensor(new Storage(seed.backend, seed.backend.alloc(seed.bytes), seed.bytes), root.shape, "f32");
      seed.backend.copy(copy.addr, seed.addr, seed.bytes);
      first[root.outputIndex] = copy;
    } else {
      first[root.outputIndex] = filled(root, 1);
    }
    pending.set(start, first);
    for (const node of topologicalOrder(start)) {
      const grads = pending.get(node);
      pending.delete(node);
      if (!grads) {
        node.release();
        continue;
      }
      const inputGrads = node.run(grads);
      for (const g of grads) g?.dispose();
      node.inputs.forEach((input, i) => {
        const g = inputGrads[i];
        if (!g) return;
        if (!input || !input.requiresGrad) return g.dispose();
        if (g.size !== input.size) throw new Error(`backward: '${node.name}' produced a gradient of ${g.size} elements for an input of ${input.size}`);
        if (input.creator) {
          let slots = pending.get(input.creator);
          if (!slots) pending.set(input.creator, (slots = new Array(input.creator.outputs).fill(null)));
          const have = slots[input.outputIndex];
          if (have) accumulate(have, g);
          else slots[input.outputIndex] = g;
        } else if (input.grad) {
          accumulate(input.grad, g);
        } else {
          input.grad = g.shape.length === input.shape.length && g.shape.every((d, k) => d === input.shape[k])
            ? g : reshaped(g, input.shape);
        }
      });
      node.release();
    }
  }));
}

function filled(like: Tensor, value: number): Tensor {
  const t = new Tensor(new Storage(like.backend, like.backend.alloc(like.bytes), like.bytes), like.shape, "f32");
  like.backend.fill(t.addr, t.size, value);
  return t;
}

function reshaped(g: Tensor, shape: readonly number[]): Tensor {
  g.storage.retain();
  const out = new Tensor(g.storage, shape, g.dtype, g.byteOffset);
  g.dispose();
  return out;
}

/**
 * Activation checkpointing: fn(inputs) as one autograd record that keeps only
 * `inputs` (and the output) and runs fn again during backward to rebuild what
 * its own backward needs, trading that recomputation for the memory of every
 * tensor fn would have kept. Gradients reach `inputs` that require them and,
 * through a backward pass over the recomputed segment, every leaf fn uses
 * (parameters), exactly as without checkpointing.
 *
 * fn must use no tensor but `inputs` and leaves that outlive the backward pass
 * (parameters): other tensors may be freed by then. It must compute the same
 * values when run again: draw any randomness from seeds fixed before the call.
 * Without gradients it is just fn(inputs) in a scope.
 */
export function checkpoint(fn: (inputs: readonly Tensor[]) => Tensor, inputs: readonly Tensor[]): Tensor {
  if (!isGradEnabled()) return scope(() => fn(inputs));
  let recorded = false;
  // The first run records as usual, only to learn whether the output depends on
  // anything that takes a gradient; its records are released with this scope.
  const out = scope(() => {
    const y = fn(inputs);
    recorded = y.requiresGrad;
    return y.detach();
  });
  if (!recorded) return out;
  record("checkpoint", [out], inputs, inputs, ([g], saved) => {
    let inputGrads: Array<Tensor | null> = [];
    tracked(() => withGrad(() => scope(() => {
      const leaves = saved.map((t, i) => {
        const leaf = t.detach();
        leaf.requiresGrad = inputs[i].requiresGrad;
        return leaf;
      });
      const y = fn(leaves);
      if (y.creator) backward(y, g!);
      // Taken before the leaves die with this scope (which would free their gradients).
      inputGrads = leaves.map((leaf) => {
        const grad = leaf.grad;
        leaf.grad = null;
        return grad;
      });
    })));
    return inputGrads;
  });
  return out;
}
