// The kernels a device must provide: every kernel of the kernel table
// (./kernels.ts) that is not one backend's own, typed from the table. Ops call
// the backend of their tensors' device and never an addon directly, so the
// CPU and the CUDA backends are two bindings of the same table and no model
// code changes. Addresses are device pointers carried as JS numbers; int
// arrays that parameterise a call (positions, offsets) travel as host
// Int32Arrays.
import { sharedKernelNames, type Only, type SharedKernels } from "./kernels.js";

/** A backend's memory counters, in bytes except `blocks`. */
export interface MemoryStats {
  /** Bytes held by live tensors (and optimizer state) on the device. */
  live: number;
  /** Highest `live` since the start or the last resetPeakMemory(). */
  peak: number;
  /** Number of live allocations. */
  blocks: number;
  /** Freed bytes the device keeps for reuse (not counted in live or peak). */
  cached: number;
}

/**
 * One device's kernels (the shared kernel table) with its memory calls. Ops
 * reach a device only through this, so the CPU and CUDA backends are
 * interchangeable. Each kernel is described where the kernel table declares it
 * (src/tensor/kernels.ts); the API reference cannot carry those comments through
 * the derived type, so typedoc.json lists the kernels as documented there.
 */
export interface Backend extends Omit<SharedKernels, "memoryStats" | "copyIn" | "copyOut"> {
  /** The device's name: "cpu" or "cuda". */
  readonly name: Only;
  /** The device's memory counters now. */
  memoryStats(): MemoryStats;
  /** host -> device at a byte offset */
  write: SharedKernels["copyIn"];
  /** device -> host at a byte offset */
  read: SharedKernels["copyOut"];
}

/** A Backend over an addon that implements the shared kernels: the addon's functions themselves, no wrapper. */
export function bindBackend(name: Only, addon: SharedKernels): Backend {
  const statsBuffer = new Float64Array(4);
  const kernels: Record<string, unknown> = {};
  for (const kernel of sharedKernelNames()) kernels[kernel] = addon[kernel];
  return {
    ...(kernels as unknown as SharedKernels),
    name,
    memoryStats(): MemoryStats {
      addon.memoryStats(statsBuffer);
      return { live: statsBuffer[0], peak: statsBuffer[1], blocks: statsBuffer[2], cached: statsBuffer[3] };
    },
    write: addon.copyIn,
    read: addon.copyOut,
  };
}
