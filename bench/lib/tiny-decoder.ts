// A compact Llama-style decoder built from the core's ops, for timing the
// training step of a peer-benchmark config (the same shapes as
// ../shared/bench/torch_peer.py) without depending on the model layer.
import { AdamW, Embedding, Linear, Module, RMSNorm } from "../../src/nn/index.js";
import {
  add, attention, backward, mean, neg, reshape, rope, ropeTables, Rng, scope, swiglu, tensor, tokenLogProbs, type Tensor,
} from "../../src/tensor/index.js";

export interface PeerConfig {
  name: string; vocab: number; d_model: number; layers: number; heads: number; kv_heads: number; ffn: number;
  rope_theta: number; rms_eps: number; tie_embeddings: boolean; qkv_bias?: boolean;
  train: { batch: number; seq: number };
  generate: { batch: number; prompt: number; new_tokens: number };
}

class Block extends Module {
  n1: RMSNorm; n2: RMSNorm; wq: Linear; wk: Linear; wv: Linear; wo: Linear; w1: Linear; w3: Linear; w2: Linear;
  constructor(readonly c: PeerConfig, rng: Rng) {
    super();
    const hd = c.d_model / c.heads, bias = c.qkv_bias ?? false;
    this.n1 = new RMSNorm(c.d_model, c.rms_eps); this.n2 = new RMSNorm(c.d_model, c.rms_eps);
    this.wq = new Linear(c.d_model, c.heads * hd, { rng, bias }); this.wk = new Linear(c.d_model, c.kv_heads * hd, { rng, bias });
    this.wv = new Linear(c.d_model, c.kv_heads * hd, { rng, bias }); this.wo = new Linear(c.heads * hd, c.d_model, { rng });
    this.w1 = new Linear(c.d_model, c.ffn, { rng }); this.w3 = new Linear(c.d_model, c.ffn, { rng }); this.w2 = new Linear(c.ffn, c.d_model, { rng });
  }
  protected children() { return { n1: this.n1, n2: this.n2, wq: this.wq, wk: this.wk, wv: this.wv, wo: this.wo, w1: this.w1, w3: this.w3, w2: this.w2 }; }
  forward(x: Tensor, tables: { cos: Tensor; sin: Tensor }): Tensor {
    const [B, T] = x.shape, c = this.c, hd = c.d_model / c.heads;
    const h = this.n1.forward(x);
    const q = rope(reshape(this.wq.forward(h), [B, T, c.heads, hd]), tables);
    const k = rope(reshape(this.wk.forward(h), [B, T, c.kv_heads, hd]), tables);
    const v = reshape(this.wv.forward(h), [B, T, c.kv_heads, hd]);
    const o = reshape(attention(q, k, v), [B, T, c.heads * hd]);
    const x2 = add(x, this.wo.forward(o));
    const h2 = this.n2.forward(x2);
    return add(x2, this.w2.forward(swiglu(this.w1.forward(h2), this.w3.forward(h2))));
  }
}

export class TinyDecoder extends Module {
  emb: Embedding; head: Linear | null; norm: RMSNorm; blocks: Block[];
  readonly invFreq: Float32Array;
  constructor(readonly c: PeerConfig, seed: number) {
    super();
    const rng = new Rng(seed);
    this.emb = new Embedding(c.vocab, c.d_model, { rng });
    this.head = c.tie_embeddings ? null : new Linear(c.d_model, c.vocab, { rng });
    this.norm = new RMSNorm(c.d_model, c.rms_eps);
    this.blocks = Array.from({ length: c.layers }, () => new Block(c, rng));
    const hd = c.d_model / c.heads;
    this.invFreq = Float32Array.from({ length: hd / 2 }, (_, i) => 1 / c.rope_theta ** ((2 * i) / hd));
  }
  protected children() { return { emb: this.emb, head: this.head, norm: this.norm, blocks: this.blocks }; }
  logits(ids: Tensor): Tensor {
    const [B, T] = ids.shape;
    const positions = new Int32Array(B * T).map((_, i) => i % T);
    const tables = ropeTables(positions, this.invFreq);
    let x = this.emb.forward(ids);
    for (const b of this.blocks) x = b.forward(x, tables);
    x = this.norm.forward(x);
    return this.head ? this.head.forward(x) : (() => { throw new Error("tied head not needed here"); })();
  }
}

/** One training step as the peer times it (forward, mean token NLL, backward, AdamW); returns the loss. */
export function trainStep(model: TinyDecoder, opt: AdamW, ids: Tensor, targets: Tensor): number {
  return scope(() => {
    const { logprobs } = tokenLogProbs(model.logits(ids), targets);
    const loss = neg(mean(logprobs));
    backward(loss);
    opt.update();
    opt.zeroGrad();
    return loss.item();
  });
}

export function randomBatch(c: PeerConfig, seed: number): { ids: Tensor; targets: Tensor } {
  const rng = new Rng(seed);
  const n = c.train.batch * c.train.seq;
  const ids = Int32Array.from({ length: n }, () => rng.int(c.vocab));
  const targets = Int32Array.from({ length: n }, () => rng.int(c.vocab));
  return { ids: tensor(ids, [c.train.batch, c.train.seq]), targets: tensor(targets, [c.train.batch, c.train.seq]) };
}
