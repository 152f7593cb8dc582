// Scopes decide when tensors die. Every tensor created inside scope(fn) is
// freed when fn returns, except the tensors in its return value (which move
// to the enclosing scope) and those marked with keep(). Autograd records made
// inside a scope are released with it unless a returned tensor depends on them.
import type { Tensor } from "./tensor.js";
import type { GradNode } from "./autograd.js";

interface Frame {
  tensors: Tensor[];
  nodes: GradNode[];
}

const frames: Frame[] = [];
let paused = 0;

export function track(t: Tensor): Tensor {
  if (paused === 0 && frames.length > 0) frames[frames.length - 1].tensors.push(t);
  return t;
}

export function trackNode(node: GradNode): void {
  if (frames.length > 0) frames[frames.length - 1].nodes.push(node);
}

/** Runs fn with new tensors left to their creator (used where ownership is explicit, e.g. gradients). */
export function untracked<T>(fn: () => T): T {
  paused++;
  try {
    return fn();
  } finally {
    paused--;
  }
}

/** Runs fn with scopes tracking new tensors again, inside untracked code that makes and frees temporaries of its own. */
export function tracked<T>(fn: () => T): T {
  const outer = paused;
  paused = 0;
  try {
    return fn();
  } finally {
    paused = outer;
  }
}

/** Excludes a tensor from every scope: the caller now owns it and must dispose() it. */
export function keep<T extends Tensor>(t: T): T {
  t.kept = true;
  return t;
}

function collect(value: unknown, out: Set<Tensor>, seen: Set<unknown>): void {
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  if (isTensor(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, out, seen);
  else if (value instanceof Map) for (const v of value.values()) collect(v, out, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, out, seen);
}

function isTensor(value: object): value is Tensor {
  return "storage" in value && "shape" in value && "dtype" in value && "creator" in value;
}

/**
 * Runs fn and frees every tensor it created that is not part of its result.
 * Errors thrown by fn still free the scope's tensors.
 */
export function scope<T>(fn: () => T): T {
  const frame: Frame = { tensors: [], nodes: [] };
  frames.push(frame);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    frames.pop();
    close(frame, new Set());
    throw error;
  }
  if (result instanceof Promise) {
    frames.pop();
    close(frame, new Set());
    throw new Error("scope: fn returned a Promise; scopes are synchronous (await outside, or keep() what must outlive the scope)");
  }
  frames.pop();
  const escaping = new Set<Tensor>();
  collect(result, escaping, new Set());
  close(frame, escaping);
  return result;
}

function close(frame: Frame, escaping: Set<Tensor>): void {
  const parent = frames.length > 0 ? frames[frames.length - 1] : null;
  for (const t of frame.tensors) {
    if (escaping.has(t)) parent?.tensors.push(t);
    else if (!t.kept) t.dispose();
  }
  // Records that a returned tensor still depends on move out with it.
  const live = new Set<GradNode>();
  const stack: GradNode[] = [];
  for (const t of escaping) if (t.creator) stack.push(t.creator);
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (live.has(node)) continue;
    live.add(node);
    for (const input of node.inputs) if (input?.creator) stack.push(input.creator);
  }
  for (const node of frame.nodes) {
    if (live.has(node) && !node.released) parent?.nodes.push(node);
    else node.release();
  }
}
