// Sampling and scoring speed of the decoder on the peer benchmark's shapes,
// against PyTorch (../shared/bench/torch_peer.py) measured in the same run:
//   gen_tok_s    new tokens/s of batched sampling with a KV cache, prefill included
//   score_tok_s  tokens/s of teacher-forced log-probs without gradient
// plus the KV cache's bytes per token and the peak of tensor memory.
//   npm run bench -- model [--json] [--no-peer] [--small-only]
import { generate, scoreResponsesNoGrad } from "../src/generate/index.js";
import { KVCache } from "../src/models/index.js";
import { memory, resetPeakMemory, Rng } from "../src/tensor/index.js";
import { idTokenizer, peerModel, readPeerConfig } from "./lib/peer-model.js";
import { runTorchPeer } from "./lib/peer.js";
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

function benchConfig(report: Report, name: string, withPeer: boolean): void {
  const c = readPeerConfig(name);
  // The peer first, so the two never hold their models at once; one training step is enough (it is not reported here).
  const peer = withPeer ? runTorchPeer(name, ["--steps", "1"]) : null;
  const model = peerModel(c, 0);
  const tokenizer = idTokenizer(c.vocab);
  const rng = new Rng(1);
  try {
    resetPeakMemory();
    const { batch, prompt, new_tokens: newTokens } = c.generate;
    const sampling = { maxNewTokens: newTokens, batchSize: batch, seed: 0 };
    generate(model, tokenizer, randomRows(batch, prompt, c.vocab, rng), { ...sampling, maxNewTokens: 2 });
    // Best of two, as the peer reports.
    const genSeconds = Math.min(...[0, 1].map(() => seconds(() => generate(model, tokenizer, randomRows(batch, prompt, c.vocab, rng), sampling))));
    report.add("gen_tok_s", (batch * newTokens) / genSeconds, "tok/s", peer?.gen_tok_s ?? null, `${name}, batch ${batch}, prompt ${prompt}, ${newTokens} new`);

    // The peer scores every position of [batch, seq] ids: here a one-token prompt and a response of seq tokens.
    const { batch: rows, seq } = c.train;
    const sequences = randomRows(rows, seq + 1, c.vocab, rng).map((ids) => ({ prompt: ids.slice(0, 1), response: ids.slice(1) }));
    const runs = [0, 1, 2].map(() => seconds(() => scoreResponsesNoGrad(model, tokenizer, sequences, { batchSize: rows }))).sort((a, b) => a - b);
    report.add("score_tok_s", (rows * seq) / runs[1], "tok/s", peer?.score_tok_s ?? null, `${name}, ${rows} x ${seq}`);

    const cache = KVCache.create(model.config, 1, 1);
    report.add("kv_bytes_per_token", cache.bytesPerToken(), "B", null, name);
    cache.dispose();
    report.add("peak_memory_bytes", memory().cpu.peak, "B", null, `${name}, weights included`);
  } finally {
    model.dispose();
  }
}

export async function run(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  const report = new Report("model", options.json);
  for (const name of options.big ? ["ref-tiny", "qwen2.5-0.5b-shape"] : ["ref-tiny"]) benchConfig(report, name, options.peer);
  report.finish();
}
