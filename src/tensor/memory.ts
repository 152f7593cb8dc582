import type { MemoryStats } from "./backend.js";
import { cpu } from "./cpu.js";

/** Live and peak bytes of tensor memory per device. */
export function memory(): Record<string, MemoryStats> {
  return { [cpu.name]: cpu.memoryStats() };
}

/** Starts a new peak measurement on every device (peak = live now). */
export function resetPeakMemory(): void {
  cpu.resetPeak();
}
