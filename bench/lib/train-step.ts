// The training step of a peer config (forward, token log-prob loss, backward,
// AdamW) on the core's ops, and the cost of a small op through the full
// Tensor API.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AdamW } from "../../src/nn/index.js";
import { add, keep, noGrad, scope, tensor } from "../../src/tensor/index.js";
import type { Report } from "../report.js";
import { runTorchPeer, sharedBench } from "./peer.js";
import { randomBatch, TinyDecoder, trainStep, type PeerConfig } from "./tiny-decoder.js";
import { timeCalls } from "./timing.js";

export function benchTrainStep(report: Report, configName: string, steps: number): void {
  const config = JSON.parse(readFileSync(join(sharedBench, "configs", `${configName}.json`), "utf8")) as PeerConfig;
  const model = new TinyDecoder(config, 0);
  const opt = new AdamW(model.parameters(), { lr: 1e-4 });
  const batch = scope(() => {
    const b = randomBatch(config, 1);
    return { ids: keep(b.ids), targets: keep(b.targets) };
  });
  try {
    const t = timeCalls(() => trainStep(model, opt, batch.ids, batch.targets), steps, 0, 2);
    const peer = runTorchPeer(configName, ["--steps", String(steps)]);
    report.add("train_step_ms", t.median * 1e3, "ms", peer?.train_step_ms ?? null, configName);
  } finally {
    model.dispose();
    opt.dispose();
    batch.ids.dispose();
    batch.targets.dispose();
  }
}

/** A 4-element add through the Tensor API (allocation, kernel, free), without autograd. */
export function benchTensorOpOverhead(report: Report): void {
  const a = keep(tensor([1, 2, 3, 4])), b = keep(tensor([4, 3, 2, 1]));
  try {
    // enough warm-up calls for the JIT to compile the whole path before timing
    const t = timeCalls(() => noGrad(() => add(a, b).dispose()), 9, 0.01, 20_000);
    report.add("op_overhead_us", t.median * 1e6, "us", null, "tensor add, 4 elements (alloc + kernel + free)");
  } finally {
    a.dispose();
    b.dispose();
  }
}
