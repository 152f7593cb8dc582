// Sampling and scoring speed of the decoder on the peer benchmark's shapes,
// against PyTorch (../shared/bench/torch_peer.py) measured in the same run:
//   gen_tok_s    new tokens/s of batched sampling with a KV cache, prefill included
//                (also for a batch of responses to one prompt, which share a prefill)
//   score_tok_s  tokens/s of teacher-forced log-probs without gradient
// plus the KV cache's bytes per token and the peak of tensor memory.
// Large configs also run with frozen bf16 weights (what a reference model
// holds): compared with PyTorch in bf16 (the same weight type, which PyTorch
// also computes in) and with PyTorch's default f32, the baseline.
//   npm run bench -- model [--json] [--no-peer] [--small-only]
import { generate, scoreResponsesNoGrad } from "../src/generate/index.js";
import { frozenCopy, KVCache, type DecoderModel, type WeightDtype } from "../src/models/index.js";
import { memory, resetPeakMemory, Rng } from "../src/tensor/index.js";
import { idTokenizer, peerModel, readPeerConfig } from "./lib/peer-model.js";
import { runTorchPeer, type PeerResult } from "./lib/peer.js";
import type { PeerConfig } from "./lib/tiny-decoder.js";
import { Report } from "./report.js";

interface Options {
  json: boolean;
  peer: boolean;
  big: boolean;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { json: false, peer: true, big: true };
  for (const arg of argv) {
    if (arg === "--json") options.json = true;
    else if (arg === "--no-peer") options.peer = false;
    else if (arg === "--small-only") options.big = false;
    else throw new Error(`model: unknown option ${arg} (expected --json, --no-peer, --small-only)`);
  }
  return options;
}

function randomRows(count: number, length: number, vocab: number, rng: Rng): number[][] {
  return Array.from({ length: count }, () => Array.from({ length }, () => rng.int(vocab)));
}

function seconds(fn: () => void): number {
  const start = performance.now();
  fn();
  return (performance.now() - start) / 1000;
}

/** How often to measure: the machine is shared, so small configs repeat more (they are quick). */
interface Plan {
  name: string;
  /** Runs of the peer; each of its metrics is its best run's. */
  peerRuns: number;
  /** Our runs: sampling reports the best, scoring the median (as the peer does within one run). */
  runs: number;
  /** Also measure frozen bf16 weights. */
  bf16: boolean;
}

const PLANS: Plan[] = [
  { name: "ref-tiny", peerRuns: 3, runs: 5, bf16: false },
  { name: "qwen2.5-0.5b-shape", peerRuns: 1, runs: 3, bf16: true },
];

type Peers = Partial<Record<WeightDtype, PeerResult | null>>;

function bestPeer(name: string, runs: number, dtype: WeightDtype): PeerResult | null {
  let best: PeerResult | null = null;
  for (let i = 0; i < runs; i++) {
    // One training step is enough: it is not reported here.
    const result = runTorchPeer(name, ["--steps", "1", "--dtype", dtype === "bf16" ? "bfloat16" : "float32"]);
    if (result === null) return null;
    best = best === null ? result : {
      gen_tok_s: Math.max(best.gen_tok_s ?? 0, result.gen_tok_s ?? 0),
      score_tok_s: Math.max(best.score_tok_s ?? 0, result.score_tok_s ?? 0),
    };
  }
  return best;
}

/** Measures one model; each metric is reported once against each peer given. */
function measure(report: Report, plan: Plan, c: PeerConfig, model: DecoderModel, label: string, peers: Array<[string, PeerResult | null]>): void {
  const tokenizer = idTokenizer(c.vocab);
  const rng = new Rng(1);
  const repeat = (fn: () => void) => Array.from({ length: plan.runs }, () => seconds(fn)).sort((a, b) => a - b);
  resetPeakMemory();
  const { batch, prompt, new_tokens: newTokens } = c.generate;
  const sampling = { maxNewTokens: newTokens, batchSize: batch, seed: 0 };
  generate(model, tokenizer, randomRows(batch, prompt, c.vocab, rng), { ...sampling, maxNewTokens: 2 });
  const genSeconds = repeat(() => generate(model, tokenizer, randomRows(batch, prompt, c.vocab, rng), sampling))[0];
  for (const [against, peer] of peers) {
    report.add("gen_tok_s", (batch * newTokens) / genSeconds, "tok/s", peer?.gen_tok_s ?? null, `${label}, batch ${batch}, prompt ${prompt}, ${newTokens} new${against}`);
  }
  // A*-PO's stage 1 and GRPO sample several responses per prompt: the batch shares one prefill (no peer does this).
  const sharedSeconds = repeat(() => generate(model, tokenizer, new Array(batch).fill(randomRows(1, prompt, c.vocab, rng)[0]), sampling))[0];
  report.add("gen_tok_s", (batch * newTokens) / sharedSeconds, "tok/s", null, `${label}, ${batch} responses to one prompt of ${prompt}, ${newTokens} new`);

  // The peer scores every position of [batch, seq] ids: here a one-token prompt and a response of seq tokens.
  const { batch: rows, seq } = c.train;
  const sequences = randomRows(rows, seq + 1, c.vocab, rng).map((ids) => ({ prompt: ids.slice(0, 1), response: ids.slice(1) }));
  const scoreSeconds = repeat(() => scoreResponsesNoGrad(model, tokenizer, sequences, { batchSize: rows }));
  for (const [against, peer] of peers) {
    report.add("score_tok_s", (rows * seq) / scoreSeconds[scoreSeconds.length >> 1], "tok/s", peer?.score_tok_s ?? null, `${label}, ${rows} x ${seq}${against}`);
  }

  const cache = KVCache.create(model.config, 1, 1);
  report.add("kv_bytes_per_token", cache.bytesPerToken(), "B", null, label);
  cache.dispose();
  report.add("peak_memory_bytes", memory().cpu.peak, "B", null, `${label}, weights included`);
}

function benchConfig(report: Report, plan: Plan, withPeer: boolean): void {
  const { name } = plan;
  const c = readPeerConfig(name);
  // The peers first, so that no two models are held at once.
  const peers: Peers = {};
  for (const dtype of plan.bf16 ? (["f32", "bf16"] as const) : (["f32"] as const)) peers[dtype] = withPeer ? bestPeer(name, plan.peerRuns, dtype) : null;
  let model = peerModel(c, 0);
  try {
    measure(report, plan, c, model, name, [["", peers.f32 ?? null]]);
    if (!plan.bf16) return;
    const half = frozenCopy(model, "bf16");
    model.dispose();
    model = half;
    measure(report, plan, c, model, `${name} bf16 weights`, [[" (peer bf16)", peers.bf16 ?? null], [" (peer f32)", peers.f32 ?? null]]);
  } finally {
    model.dispose();
  }
}

export async function run(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  const report = new Report("model", options.json);
  for (const plan of options.big ? PLANS : PLANS.slice(0, 1)) benchConfig(report, plan, options.peer);
  report.finish();
}
