import type { Backend, MemoryStats } from "./backend.js";
import { cpu } from "./cpu.js";
import { loadedCudaBackend } from "./cuda.js";

function activeBackends(): Backend[] {
  const gpu = loadedCudaBackend();
  return gpu ? [cpu, gpu] : [cpu];
}

/** Live and peak bytes of tensor memory per device in use (and bytes cached for reuse). */
export function memory(): Record<string, MemoryStats> {
  return Object.fromEntries(activeBackends().map((b) => [b.name, b.memoryStats()]));
}

/** Starts a new peak measurement on every device (peak = live now). */
export function resetPeakMemory(): void {
  for (const b of activeBackends()) b.resetPeak();
}

/** Returns freed memory that devices keep for reuse (e.g. before a phase with other tensor sizes). */
export function releaseCachedMemory(): void {
  for (const b of activeBackends()) b.releaseCache();
}
