import type { MemoryStats } from "./backend.js";
import { cpu } from "./cpu.js";

/** Live and peak bytes of tensor memory per device (and bytes cached for reuse). */
export function memory(): Record<string, MemoryStats> {
  return { [cpu.name]: cpu.memoryStats() };
}

/** Starts a new peak measurement on every device (peak = live now). */
export function resetPeakMemory(): void {
  cpu.resetPeak();
}

/** Returns freed memory that devices keep for reuse (e.g. before a phase with other tensor sizes). */
export function releaseCachedMemory(): void {
  cpu.releaseCache();
}
