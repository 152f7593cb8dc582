// The CPU backend: the native addon's kernels, bound once.
import type { Backend, MemoryStats } from "./backend.js";
import { native } from "./native.js";

const statsBuffer = new Float64Array(4);

const kernelNames = [
  "alloc", "free", "resetPeak", "releaseCache", "copy", "zero", "fill", "gemm", "toBf16", "fromBf16", "binary", "unary", "unaryBackward", "dropout", "axpby", "sum",
  "reduceBroadcast", "sumLastDim", "allFinite", "rmsNorm", "rmsNormBackward", "ropeTables", "rope", "swiglu",
  "swigluBackward", "embedding", "embeddingBackward", "gatherRows", "writeRows", "tokenLogProbs",
  "tokenLogProbsBackward", "sampleRows", "adamw", "attentionForward", "attentionBackward",
] as const;

function bindKernels(): Record<(typeof kernelNames)[number], (...args: never[]) => unknown> {
  const out: Record<string, (...args: never[]) => unknown> = {};
  for (const name of kernelNames) {
    const fn = native[name];
    if (typeof fn !== "function") throw new Error(`astarpo: the native addon lacks the kernel '${name}'; rebuild it (npm run native)`);
    out[name] = fn;
  }
  return out as Record<(typeof kernelNames)[number], (...args: never[]) => unknown>;
}

export const cpu: Backend = {
  name: "cpu",
  ...(bindKernels() as unknown as Omit<Backend, "name" | "memoryStats" | "write" | "read">),
  memoryStats(): MemoryStats {
    native.memoryStats(statsBuffer);
    return { live: statsBuffer[0], peak: statsBuffer[1], blocks: statsBuffer[2], cached: statsBuffer[3] };
  },
  write: native.copyIn as Backend["write"],
  read: native.copyOut as Backend["read"],
};
