// The attention kernels at the shapes that matter: the ref-tiny training step
// (forward, backward), scoring long sequences, and one-token decoding over a
// KV cache read from memory (reported also as GB/s of keys and values
// streamed). The peer is PyTorch's eager attention in the same run
// (bench/lib/attention_peer.py), when Debian's PyTorch is installed.
//   npm run bench -- attention [--json] [--quick]
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { native } from "../src/tensor/native.js";
import { Report } from "./report.js";
import { timeCalls } from "./lib/timing.js";

interface Case {
  name: string;
  mode: "forward" | "forward+backward";
  B: number; T: number; S: number; H: number; Hkv: number; D: number;
  /** filled cache positions (decoding); S when absent */
  kvLen?: number;
  /** cycle through copies of the keys and values filling this many bytes */
  coldBytes?: number;
}

const trainShape = { B: 8, T: 128, S: 128, H: 4, Hkv: 4, D: 64 };
const scoreShape = { B: 1, T: 1024, S: 1024, H: 14, Hkv: 2, D: 64 };
/** More than any last-level cache: each decoding step reads a layer's cache from memory. */
const coldCacheBytes = 256 << 20;
const decodeShape = (B: number) => ({ B, T: 1, S: 1300, H: 14, Hkv: 2, D: 64, kvLen: 1300, coldBytes: coldCacheBytes });

const allCases: Case[] = [
  { name: "train forward", mode: "forward", ...trainShape },
  { name: "train forward+backward", mode: "forward+backward", ...trainShape },
  { name: "score forward", mode: "forward", ...scoreShape },
  { name: "score forward+backward", mode: "forward+backward", ...scoreShape },
  { name: "decode B=8", mode: "forward", ...decodeShape(8) },
  { name: "decode B=64", mode: "forward", ...decodeShape(64) },
];

function describe(c: Case): string {
  const kv = c.kvLen === undefined ? "" : ` kvLen=${c.kvLen}`;
  return `${c.name}: B=${c.B} T=${c.T} S=${c.S} H=${c.H} Hkv=${c.Hkv} D=${c.D}${kv}, ${native.threads()} threads`;
}

function fill(n: number): number {
  const p = native.alloc(n * 4) as number;
  native.copyIn(p, 0, Float32Array.from({ length: n }, () => (Math.random() - 0.5) * 2));
  return p;
}

interface CaseTiming {
  forwardMs: number;
  backwardMs: number | null;
}

function timeCase(c: Case): CaseTiming {
  const { B, T, S, H, Hkv, D } = c;
  const scale = 1 / Math.sqrt(D);
  const kvLen = c.kvLen === undefined ? 0 : Int32Array.from({ length: B }, () => c.kvLen!);
  const qSize = B * T * H * D, kvSize = B * S * Hkv * D;
  const copies = Math.max(1, Math.ceil((c.coldBytes ?? 0) / (8 * kvSize)));
  const q = fill(qSize), out = fill(qSize), lse = fill(B * H * T), dout = fill(qSize);
  const dq = fill(qSize), dk = fill(kvSize), dv = fill(kvSize);
  const ks: number[] = [], vs: number[] = [];
  for (let i = 0; i < copies; i++) {
    ks.push(fill(kvSize));
    vs.push(fill(kvSize));
  }
  try {
    let next = 0;
    const forward = (): void => {
      native.attentionForward(q, ks[next], vs[next], out, lse, B, T, S, H, Hkv, D, scale, 0, 0, kvLen);
      next = (next + 1) % copies;
    };
    const forwardMs = timeCalls(forward).median * 1e3;
    if (c.mode === "forward") return { forwardMs, backwardMs: null };
    const backward = (): void => {
      native.attentionBackward(q, ks[0], vs[0], out, lse, dout, dq, dk, dv, B, T, S, H, Hkv, D, scale, 0, 0, kvLen);
    };
    return { forwardMs, backwardMs: timeCalls(backward).median * 1e3 };
  } finally {
    for (const p of [q, out, lse, dout, dq, dk, dv, ...ks, ...vs]) native.free(p);
  }
}

/** Milliseconds per call of PyTorch's eager attention for each case, or null without PyTorch. */
function peerMs(cases: Case[]): Map<string, number> | null {
  const script = join(dirname(fileURLToPath(import.meta.url)), "lib", "attention_peer.py");
  if (!existsSync("/usr/bin/python3")) return null;
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const run = spawnSync("/usr/bin/python3", [script, JSON.stringify(cases)], { env, encoding: "utf8", timeout: 600_000 });
  if (run.status !== 0) return null;
  try {
    const parsed = JSON.parse(run.stdout.trim().split("\n").pop() ?? "") as { ms: Record<string, number> };
    return new Map(Object.entries(parsed.ms));
  } catch {
    return null;
  }
}

export async function run(argv: string[]): Promise<void> {
  let json = false, quick = false;
  for (const arg of argv) {
    if (arg === "--json") json = true;
    else if (arg === "--quick") quick = true;
    else throw new Error(`attention: unknown option ${arg} (expected --json, --quick)`);
  }
  const cases = quick ? allCases.filter((c) => c.name !== "score forward+backward" && c.name !== "decode B=64") : allCases;
  const report = new Report("attention", json);
  const peer = peerMs(cases);
  for (const c of cases) {
    const t = timeCase(c);
    const config = describe(c);
    const ms = t.backwardMs === null ? t.forwardMs : t.forwardMs + t.backwardMs;
    // ratio = ours / PyTorch's time: below 1 is faster
    report.add("ms_per_call", ms, "ms", peer?.get(c.name) ?? null, config);
    if (t.backwardMs !== null) report.add("backward_ms", t.backwardMs, "ms", null, config);
    if (c.kvLen !== undefined) {
      const kvBytes = 2 * c.B * c.kvLen * c.Hkv * c.D * 4;
      report.add("kv_gbps", kvBytes / (t.forwardMs / 1e3) / 1e9, "GB/s", null, config);
    }
  }
  report.finish();
}
