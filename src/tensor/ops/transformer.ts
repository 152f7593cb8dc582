// The fused ops of a Llama/Qwen decoder layer: embedding, RMSNorm, RoPE,
// causal grouped-query attention and the SiLU-gated MLP activation.
import { needsGrad, record } from "../autograd.js";
import { shapeString } from "../dtype.js";
import { empty, sameBackend, type Tensor } from "../tensor.js";

/** table[ids]: ids i32 [...], table [vocab, dim] -> [..., dim]; the gradient scatters into the table. */
export function embedding(ids: Tensor, table: Tensor): Tensor {
  if (ids.dtype !== "i32") throw new Error(`embedding: ids must be i32, got ${ids.dtype}`);
  if (table.dtype === "i32") throw new Error("embedding: the table must be f32 or bf16, got i32");
  sameBackend("embedding", ids, table);
  const [vocab, dim] = table.shape;
  const out = empty([...ids.shape, dim], "f32", table.backend);
  const bad = table.backend.embedding(ids.addr, table.addr, out.addr, ids.size, dim, vocab, table.dtype === "bf16" ? 1 : 0);
  if (bad >= 0) {
    const id = ids.toArray()[bad];
    out.dispose();
    throw new Error(`embedding: token id ${id} at position ${bad} is outside the vocabulary [0, ${vocab})`);
  }
  if (needsGrad(table)) {
    record("embedding", [out], [null, table], [ids], ([g], [sids]) => {
      const gt = empty(table.shape, "f32", table.backend);
      table.backend.zero(gt.addr, gt.bytes);
      table.backend.embeddingBackward(sids.addr, g!.addr, gt.addr, sids.size, dim);
      return [null, gt];
    });
  }
  return out;
}

/** x / rms(x) * weight over the last dimension. */
export function rmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  const cols = x.shape[x.rank - 1];
  if (weight.size !== cols) throw new Error(`rmsNorm: weight ${shapeString(weight.shape)} for inputs ${shapeString(x.shape)}`);
  sameBackend("rmsNorm", x, weight);
  const rows = x.size / cols;
  const out = empty(x.shape, "f32", x.backend);
  const grad = needsGrad(x, weight);
  const rstd = grad ? empty([rows], "f32", x.backend) : null;
  x.backend.rmsNorm(x.addr, weight.addr, out.addr, rstd ? rstd.addr : 0, rows, cols, eps);
  if (grad) {
    record("rmsNorm", [out], [x, weight], [x, weight, rstd!], ([g], [sx, sw, sr]) => {
      const gx = empty(x.shape, "f32", x.backend);
      let gw: Tensor | null = null;
      if (weight.requiresGrad) {
        gw = empty(weight.shape, "f32", x.backend);
        x.backend.zero(gw.addr, gw.bytes);
      }
      x.backend.rmsNormBackward(sx.addr, sw.addr, sr.addr, g!.addr, gx.addr, gw ? gw.addr : 0, rows, cols);
      return [x.requiresGrad ? gx : (gx.dispose(), null), gw];
    });
    rstd!.dispose();
  }
  return out;
}

/** cos/sin tables [positions.length, dim/2] for rope(); compute once per forward, share across layers. */
export interface RopeTables {
  /** cos(position * frequency), times the attention scaling. */
  cos: Tensor;
  /** sin(position * frequency), times the attention scaling. */
  sin: Tensor;
}

/**
 * The rope() tables for `positions`, from the inverse frequencies of the model's
 * rope scaling; both are multiplied by `attentionScaling` (YaRN's factor, 1
 * otherwise). They are allocated on `like`'s device (the CPU without it).
 */
export function ropeTables(positions: Int32Array, invFreq: Float32Array, attentionScaling = 1, like?: Tensor): RopeTables {
  const half = invFreq.length;
  const backendSource = like;
  const cos = empty([positions.length, half], "f32", backendSource?.backend);
  const sin = empty([positions.length, half], "f32", backendSource?.backend);
  cos.backend.ropeTables(positions, invFreq, attentionScaling, cos.addr, sin.addr, positions.length, half);
  return { cos, sin };
}

/** Rotary embedding of x [B, T, heads, dim] (rotate-half convention) with tables for the B*T positions. */
export function rope(x: Tensor, tables: RopeTables): Tensor {
  if (x.rank !== 4) throw new Error(`rope: expected [B, T, heads, dim], got ${shapeString(x.shape)}`);
  const [B, T, heads, dim] = x.shape;
  if (tables.cos.shape[0] !== B * T || tables.cos.shape[1] * 2 !== dim) {
    throw new Error(`rope: tables ${shapeString(tables.cos.shape)} do not match ${shapeString(x.shape)}`);
  }
  sameBackend("rope", x, tables.cos, tables.sin);
  const out = empty(x.shape, "f32", x.backend);
  x.backend.rope(x.addr, out.addr, tables.cos.addr, tables.sin.addr, B * T, heads, dim, 0);
  if (needsGrad(x)) {
    record("rope", [out], [x], [tables.cos, tables.sin], ([g], [c, s]) => {
      const gx = empty(x.shape, "f32", x.backend);
      x.backend.rope(g!.addr, gx.addr, c.addr, s.addr, B * T, heads, dim, 1);
      return [gx];
    });
  }
  return out;
}

/** Options of attention(); the Int32Arrays hold one entry per batch row. */
export interface AttentionOptions {
  /** softmax scale; default 1/sqrt(head dim) */
  scale?: number;
  /** per-row position of the first query (default: kvLength - T) */
  queryStart?: Int32Array;
  /** per-row first visible key (left padding) */
  keyStart?: Int32Array;
  /** per-row number of filled key positions (default: the capacity S) */
  kvLength?: Int32Array;
}

/**
 * Causal grouped-query attention: q [B, T, H, D], k/v [B, S, Hkv, D] -> [B, T, H, D].
 * Query i of row b sees keys keyStart[b] <= j <= queryStart[b] + i, j < kvLength[b].
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) throw new Error("attention: q, k, v must be [B, T|S, heads, dim]");
  const [B, T, H, D] = q.shape;
  const [Bk, S, Hkv, Dk] = k.shape;
  if (Bk !== B || Dk !== D || H % Hkv !== 0 || v.shape.some((d, i) => d !== k.shape[i])) {
    throw new Error(`attention: shapes q ${shapeString(q.shape)}, k ${shapeString(k.shape)}, v ${shapeString(v.shape)} do not fit`);
  }
  sameBackend("attention", q, k, v);
  const scale = options.scale ?? 1 / Math.sqrt(D);
  const qPos = options.queryStart ?? 0, kStart = options.keyStart ?? 0, kvLen = options.kvLength ?? 0;
  const grad = needsGrad(q, k, v);
  const out = empty(q.shape, "f32", q.backend);
  const lse = grad ? empty([B, H, T], "f32", q.backend) : null;
  q.backend.attentionForward(q.addr, k.addr, v.addr, out.addr, lse ? lse.addr : 0, B, T, S, H, Hkv, D, scale, qPos, kStart, kvLen);
  if (grad) {
    record("attention", [out], [q, k, v], [q, k, v, out, lse!], ([g], [sq, sk, sv, so, sl]) => {
      const dq = empty(q.shape, "f32", q.backend), dk = empty(k.shape, "f32", q.backend), dv = empty(v.shape, "f32", q.backend);
      q.backend.attentionBackward(sq.addr, sk.addr, sv.addr, so.addr, sl.addr, g!.addr, dq.addr, dk.addr, dv.addr, B, T, S, H, Hkv, D, scale, qPos, kStart, kvLen);
      return [dq, dk, dv];
    });
    lse!.dispose();
  }
  return out;
}

/** silu(gate) * up, fused. */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  if (gate.size !== up.size) throw new Error(`swiglu: gate ${shapeString(gate.shape)} and up ${shapeString(up.shape)} differ`);
  sameBackend("swiglu", gate, up);
  const out = empty(gate.shape, "f32", gate.backend);
  gate.backend.swiglu(gate.addr, up.addr, out.addr, gate.size);
  if (needsGrad(gate, up)) {
    record("swiglu", [out], [gate, up], [gate, up], ([g], [sg, su]) => {
      const dg = empty(gate.shape, "f32", gate.backend), du = empty(up.shape, "f32", gate.backend);
      gate.backend.swigluBackward(sg.addr, su.addr, g!.addr, dg.addr, du.addr, gate.size);
      return [dg, du];
    });
  }
  return out;
}
