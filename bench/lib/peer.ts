// The PyTorch peer (../shared/bench/torch_peer.py), run at its best settings:
// one intra-op thread, with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from
// its environment only. Optional: null when PyTorch is not installed.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

export const sharedBench = join(process.cwd(), "..", "shared", "bench");

export interface PeerResult {
  train_step_ms?: number;
  score_tok_s?: number;
  gen_tok_s?: number;
  first_losses?: number[];
  torch?: string;
}

export function runTorchPeer(config: string, extraArgs: string[] = [], timeoutMs = 1_800_000): PeerResult | null {
  const script = join(sharedBench, "torch_peer.py");
  if (!existsSync(script) || !existsSync("/usr/bin/python3")) return null;
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const run = spawnSync("/usr/bin/python3", [script, join(sharedBench, "configs", `${config}.json`), "--threads", "1", ...extraArgs], {
    env, encoding: "utf8", timeout: timeoutMs,
  });
  if (run.status !== 0) return null;
  const last = run.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(last) as PeerResult;
  } catch {
    return null;
  }
}
