// Elementwise arithmetic with the one broadcasting rule the kernels know:
// the smaller operand's shape is a suffix of the larger one's (a bias), or a
// prefix padded with trailing 1s (one value per row or block).
import { needsGrad, record } from "../autograd.js";
import { shapeString } from "../dtype.js";
import { BinaryOp, UnaryOp } from "../kernels.js";
import { empty, sameBackend, view, type Tensor } from "../tensor.js";

interface Broadcast { bn: number; inner: number }

function broadcastOf(a: Tensor, b: Tensor, op: string): Broadcast {
  if (b.size === a.size) {
    if (b.size === 1 || sameShape(a.shape, b.shape)) return { bn: b.size, inner: 1 };
  }
  if (b.size === 1) return { bn: 1, inner: 1 };
  const trailing = stripLeadingOnes(b.shape);
  if (trailing.length <= a.rank && trailing.every((d, i) => d === a.shape[a.rank - trailing.length + i])) {
    return { bn: b.size, inner: 1 };
  }
  const leading = stripTrailingOnes(b.shape);
  if (leading.length <= a.rank && leading.every((d, i) => d === a.shape[i])) {
    return { bn: b.size, inner: a.size / b.size };
  }
  throw new Error(`${op}: cannot broadcast ${shapeString(b.shape)} onto ${shapeString(a.shape)}`);
}

function sameShape(x: readonly number[], y: readonly number[]): boolean {
  return x.length === y.length && x.every((d, i) => d === y[i]);
}

function stripLeadingOnes(s: readonly number[]): number[] {
  let i = 0;
  while (i < s.length - 1 && s[i] === 1) i++;
  return s.slice(i);
}

function stripTrailingOnes(s: readonly number[]): number[] {
  let n = s.length;
  while (n > 1 && s[n - 1] === 1) n--;
  return s.slice(0, n);
}

function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor, bc: Broadcast): Tensor {
  const out = empty(a.shape, "f32", a.backend);
  a.backend.binary(op, a.addr, b.addr, out.addr, a.size, bc.bn, bc.inner);
  return out;
}

/** The gradient of the broadcast operand: g summed over the broadcast positions, shaped like b. */
function reduceTo(g: Tensor, b: Tensor, bc: Broadcast, scale = 1): Tensor {
  const out = empty(b.shape, "f32", g.backend);
  if (bc.bn === g.size) {
    if (scale === 1) g.backend.copy(out.addr, g.addr, g.bytes);
    else { g.backend.zero(out.addr, out.bytes); g.backend.axpby(out.addr, g.addr, g.size, scale, 0); }
    return out;
  }
  g.backend.reduceBroadcast(g.addr, out.addr, g.size, bc.bn, bc.inner, 0);
  if (scale !== 1) g.backend.axpby(out.addr, out.addr, out.size, 0, scale);
  return out;
}

function checkF32(op: string, ...ts: Tensor[]): void {
  for (const t of ts) if (t.dtype !== "f32") throw new Error(`${op}: expected f32 tensors, got ${t.dtype} ${shapeString(t.shape)}`);
}

function binary(op: BinaryOp, name: string, a: Tensor, b: Tensor): Tensor {
  checkF32(name, a, b);
  sameBackend(name, a, b);
  if (b.size > a.size && (op === BinaryOp.Add || op === BinaryOp.Mul)) [a, b] = [b, a];
  const bc = broadcastOf(a, b, name);
  const out = binaryRaw(op, a, b, bc);
  if (needsGrad(a, b)) {
    const saved = op === BinaryOp.Mul ? [a, b] : op === BinaryOp.Div ? [b, out] : [];
    record(name, [out], [a, b], saved, ([g], s) => {
      const grad = g!;
      switch (op) {
        // a's gradient is g itself: a second handle on its memory, no copy (b's is a copy,
        // since gradients are accumulated in place and the two must not alias)
        case BinaryOp.Add:
          return [a.requiresGrad ? view(grad, a.shape) : null, b.requiresGrad ? reduceTo(grad, b, bc) : null];
        case BinaryOp.Sub:
          return [a.requiresGrad ? view(grad, a.shape) : null, b.requiresGrad ? reduceTo(grad, b, bc, -1) : null];
        case BinaryOp.Mul: {
          const [sa, sb] = s;
          const ga = a.requiresGrad ? binaryRaw(BinaryOp.Mul, grad, sb, bc) : null;
          let gb: Tensor | null = null;
          if (b.requiresGrad) {
            const prod = binaryRaw(BinaryOp.Mul, grad, sa, { bn: sa.size, inner: 1 });
            gb = reduceTo(prod, b, bc);
            prod.dispose();
          }
          return [ga, gb];
        }
        case BinaryOp.Div: {
          const [sb, so] = s;
          const ga = a.requiresGrad ? binaryRaw(BinaryOp.Div, grad, sb, bc) : null;
          let gb: Tensor | null = null;
          if (b.requiresGrad) {
            // d(a/b)/db = -out/b
            const t1 = binaryRaw(BinaryOp.Mul, grad, so, { bn: so.size, inner: 1 });
            const t2 = binaryRaw(BinaryOp.Div, t1, sb, bc);
            gb = reduceTo(t2, b, bc, -1);
            t1.dispose(); t2.dispose();
          }
          return [ga, gb];
        }
      }
    });
  }
  return out;
}

/** a + b elementwise (f32); either operand may broadcast onto the other. */
export function add(a: Tensor, b: Tensor): Tensor { return binary(BinaryOp.Add, "add", a, b); }
/** a - b elementwise (f32); b may broadcast onto a. */
export function sub(a: Tensor, b: Tensor): Tensor { return binary(BinaryOp.Sub, "sub", a, b); }
/** a * b elementwise (f32); either operand may broadcast onto the other. */
export function mul(a: Tensor, b: Tensor): Tensor { return binary(BinaryOp.Mul, "mul", a, b); }
/** a / b elementwise (f32); b may broadcast onto a. */
export function div(a: Tensor, b: Tensor): Tensor { return binary(BinaryOp.Div, "div", a, b); }

/** alpha * x + beta (a fused scalar affine map). */
export function scale(x: Tensor, alpha: number, beta = 0): Tensor {
  checkF32("scale", x);
  const out = empty(x.shape, "f32", x.backend);
  if (beta === 0) x.backend.zero(out.addr, out.bytes);
  else x.backend.fill(out.addr, out.size, beta);
  x.backend.axpby(out.addr, x.addr, x.size, alpha, 1);
  if (needsGrad(x)) {
    record("scale", [out], [x], [], ([g]) => {
      const gx = empty(x.shape, "f32", x.backend);
      x.backend.zero(gx.addr, gx.bytes);
      x.backend.axpby(gx.addr, g!.addr, gx.size, alpha, 0);
      return [gx];
    });
  }
  return out;
}

/**
 * Dropout: each element zeroed with probability p, the rest scaled by 1 / (1 - p).
 * The mask is a function of (seed, element index) alone: the same seed gives
 * the same mask, so a recomputed pass matches the first one, and the backward
 * pass redraws it instead of keeping it. seed: an integer in [0, 2^53).
 */
export function dropout(x: Tensor, p: number, seed: number): Tensor {
  checkF32("dropout", x);
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must lie in [0, 1), got ${p}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`dropout: seed must be an integer in [0, 2^53), got ${seed}`);
  const out = empty(x.shape, "f32", x.backend);
  x.backend.dropout(x.addr, out.addr, x.size, p, seed);
  if (needsGrad(x)) {
    record("dropout", [out], [x], [], ([g]) => {
      const gx = empty(x.shape, "f32", x.backend);
      x.backend.dropout(g!.addr, gx.addr, x.size, p, seed);
      return [gx];
    });
  }
  return out;
}

function unary(kind: UnaryOp, name: string, x: Tensor): Tensor {
  checkF32(name, x);
  const out = empty(x.shape, "f32", x.backend);
  x.backend.unary(kind, x.addr, out.addr, x.size);
  if (needsGrad(x)) {
    record(name, [out], [x], [x], ([g], [sx]) => {
      const gx = empty(x.shape, "f32", x.backend);
      x.backend.unaryBackward(kind, sx.addr, g!.addr, gx.addr, x.size);
      return [gx];
    });
  }
  return out;
}

/** -x elementwise. */
export function neg(x: Tensor): Tensor { return unary(UnaryOp.Neg, "neg", x); }
/** e^x elementwise. */
export function exp(x: Tensor): Tensor { return unary(UnaryOp.Exp, "exp", x); }
/** Natural logarithm elementwise. */
export function log(x: Tensor): Tensor { return unary(UnaryOp.Log, "log", x); }
/** x * x elementwise. */
export function square(x: Tensor): Tensor { return unary(UnaryOp.Square, "square", x); }
/** Square root elementwise. */
export function sqrt(x: Tensor): Tensor { return unary(UnaryOp.Sqrt, "sqrt", x); }
/** x * sigmoid(x) elementwise (the MLP activation of Llama-style models). */
export function silu(x: Tensor): Tensor { return unary(UnaryOp.Silu, "silu", x); }
/** max(x, 0) elementwise. */
export function relu(x: Tensor): Tensor { return unary(UnaryOp.Relu, "relu", x); }
/** Hyperbolic tangent elementwise. */
export function tanh(x: Tensor): Tensor { return unary(UnaryOp.Tanh, "tanh", x); }
/** Absolute value elementwise. */
export function abs(x: Tensor): Tensor { return unary(UnaryOp.Abs, "abs", x); }
