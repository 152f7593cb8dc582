// Devices by name, where a name enters (a command-line flag, a config).
import type { Backend } from "./backend.js";
import { cpu } from "./cpu.js";
import { cudaBackend } from "./cuda.js";

/** The device names a user may give. */
export const devices = ["cpu", "cuda"] as const;
/** A device name: "cpu" or "cuda". */
export type Device = (typeof devices)[number];

/** What a device option means, as every command's help and the run config describe it. */
export const DEVICE_HELP = "where the model and its tensors live: cpu, or cuda (an NVIDIA GPU; the addon is built by npm run native:cuda)";

/** The device named, checked: "cpu" or "cuda". */
export function parseDevice(name: string, where = "--device"): Device {
  if ((devices as readonly string[]).includes(name)) return name as Device;
  throw new Error(`${where}: expected ${devices.join(" or ")}, got '${name}'`);
}

/** The backend of a device (default the CPU); for "cuda", an error saying why when it cannot run here. */
export function backendFor(device: Device = "cpu"): Backend {
  return device === "cuda" ? cudaBackend() : cpu;
}
