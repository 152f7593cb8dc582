// The CUDA backend: the CUDA addon's kernels (native/cuda/, built by
// `npm run native:cuda`) bound to the same Backend interface as the CPU's,
// so every op runs unchanged on tensors whose storage is on the GPU. Loaded
// on first use only: a machine without a GPU never touches it.
import { join } from "node:path";
import { bindBackend, type Backend } from "./backend.js";
import { addonPath, loadAddon, type Addon } from "./native.js";

const addonFile = join("build-cuda", "astarpo_cuda.node");

/** The GPU the CUDA backend runs on, as the CUDA runtime describes it. */
export interface CudaDevice {
  /** Product name, e.g. "NVIDIA H100 80GB HBM3". */
  name: string;
  /** Compute capability as "major.minor", e.g. "9.0". */
  computeCapability: string;
  /** Number of streaming multiprocessors. */
  multiprocessors: number;
  /** Total device memory in bytes. */
  memoryBytes: number;
  /** CUDA driver version as the runtime encodes it (1000 * major + 10 * minor, e.g. 12040). */
  driverVersion: number;
  /** CUDA runtime version the addon was built with, encoded like driverVersion. */
  runtimeVersion: number;
}

let state: { backend: Backend; addon: Addon<"cuda">; device: CudaDevice } | { error: Error } | null = null;

function load(): { backend: Backend; addon: Addon<"cuda">; device: CudaDevice } | { error: Error } {
  const path = addonPath("build-cuda", "astarpo_cuda.node");
  if (!path) return { error: new Error(`astarpo: the CUDA backend is not built (${addonFile} is missing); run \`npm run native:cuda\` on a machine with nvcc`) };
  try {
    const addon = loadAddon(path, "cuda");
    const device = JSON.parse(addon.deviceInfo()) as CudaDevice;
    return { addon, device, backend: bindBackend("cuda", addon) };
  } catch (e) {
    return { error: new Error(`astarpo: the CUDA backend cannot run here: ${(e as Error).message}`) };
  }
}

function loaded(): { backend: Backend; addon: Addon<"cuda">; device: CudaDevice } {
  state ??= load();
  if ("error" in state) throw state.error;
  return state;
}

/** The CUDA backend; throws a message saying why when the addon is not built or no GPU and driver answer. */
export function cudaBackend(): Backend {
  return loaded().backend;
}

/** The GPU the backend runs on (name, compute capability, memory, driver). */
export function cudaDevice(): CudaDevice {
  return loaded().device;
}

/** Waits for the work queued on the GPU (for timing; reading a result back waits anyway). */
export function cudaSynchronize(): void {
  loaded().addon.synchronize();
}

/** Why the CUDA backend cannot run here, or null when it can. */
export function cudaUnavailableReason(): string | null {
  state ??= load();
  return "error" in state ? state.error.message : null;
}

/** The CUDA backend if something already loaded it, else null (memory reports never load it). */
export function loadedCudaBackend(): Backend | null {
  return state && !("error" in state) ? state.backend : null;
}
