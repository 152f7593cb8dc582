// Devices by name, where a name enters (a command-line flag, a config).
import type { Backend } from "./backend.js";
import { cpu } from "./cpu.js";
import { cudaBackend } from "./cuda.js";

export const devices = ["cpu", "cuda"] as const;
export type Device = (typeof devices)[number];

/** The device named, checked: "cpu" or "cuda". */
export function parseDevice(name: string, where = "--device"): Device {
  if ((devices as readonly string[]).includes(name)) return name as Device;
  throw new Error(`${where}: expected ${devices.join(" or ")}, got '${name}'`);
}

/** The backend of a device; for "cuda", an error saying why when it cannot run here. */
export function backendFor(device: Device): Backend {
  return device === "cuda" ? cudaBackend() : cpu;
}
